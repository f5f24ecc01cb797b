#include "sqlite_store.hpp"

#include <mutex>

#include "../push_columns.hpp"
#include "connection.hpp"
#include "migrations.hpp"
#include "write_transaction.hpp"

namespace hsm2fa::store::sqlite {
namespace {

// Unwraps a Result into `var`, or returns its error from the enclosing function.
#define HSM2FA_TRY(var, expr) \
  auto var = (expr);          \
  if (!var) return std::move(var).error()

#define HSM2FA_CHECK(expr)                                       \
  do {                                                           \
    if (auto status_ = (expr); !status_) return status_.error(); \
  } while (0)

constexpr std::string_view kCredentialColumns =
    "id, tenant, user_id, state, seed_ref, alg, digits, period, last_step, created_at, "
    "expires_at";

Result<TotpCredential> read_credential(const Query& q) {
  TotpCredential c;
  c.id = q.int64(0);
  c.tenant = q.text(1);
  c.user = q.text(2);
  const std::string state = q.text(3);
  c.seed.encoded = q.text(4);
  const auto alg = parse_hash_alg(q.text(5));
  if ((state != "pending" && state != "active") || !alg) {
    return make_error(Errc::tampered, "sqlite: a stored TOTP credential has an unknown value");
  }
  c.state = state == "active" ? CredentialState::active : CredentialState::pending;
  c.alg = *alg;
  c.digits = static_cast<int>(q.int64(6));
  c.period = static_cast<int>(q.int64(7));
  c.last_step = q.int64(8);
  c.created_at = q.int64(9);
  c.expires_at = q.int64(10);
  return c;
}

constexpr std::string_view kDeviceColumns = "id, tenant, user_id, name, public_key, created_at";
constexpr std::string_view kChallengeColumns =
    "id, tenant, user_id, origin, ip, user_agent, nonce, number, numbers, created_at, expires_at,"
    " state, method, device_id";

PushDevice read_device(const Query& q) {
  return PushDevice{q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.int64(5)};
}

Result<PushChallenge> read_challenge(const Query& q) {
  PushChallenge c;
  c.id = q.text(0);
  c.tenant = q.text(1);
  c.user = q.text(2);
  c.origin = q.text(3);
  c.ip = q.text(4);
  c.user_agent = q.text(5);
  c.nonce = q.text(6);
  c.number = static_cast<int>(q.int64(7));
  auto numbers = split_numbers(q.text(8));
  if (!numbers) return std::move(numbers).error();
  c.numbers = std::move(numbers).value();
  c.created_at = q.int64(9);
  c.expires_at = q.int64(10);
  auto state = parse_challenge_state(q.text(11));
  if (!state) return make_error(Errc::tampered, "sqlite: a stored challenge has an unknown state");
  c.state = *state;
  c.method = q.text(12);
  c.device_id = q.text(13);
  return c;
}

Status check_user(std::string_view tenant, std::string_view user) {
  if (tenant.empty() || user.empty()) {
    return make_error(Errc::invalid_argument, "tenant and user must not be empty");
  }
  return {};
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(std::unique_ptr<Connection> conn) : conn_(std::move(conn)) {}

  Status ping() override {
    std::lock_guard lock(mu_);
    HSM2FA_TRY(q, conn_->query("SELECT count(*) FROM schema_version"));
    HSM2FA_TRY(row, q->step());
    return {};
  }

  Result<std::vector<TotpCredential>> totp_credentials(std::string_view tenant,
                                                       std::string_view user) override {
    std::lock_guard lock(mu_);
    return select_credentials(tenant, user);
  }

  Result<std::vector<TotpCredential>> totp_credentials_after(std::int64_t after_id,
                                                             std::size_t limit) override {
    static const std::string sql = "SELECT " + std::string(kCredentialColumns) +
                                   " FROM totp_credentials WHERE id > ? ORDER BY id LIMIT ?";
    std::lock_guard lock(mu_);
    HSM2FA_TRY(q, conn_->query(sql));
    q->bind(after_id).bind(static_cast<std::int64_t>(limit));
    std::vector<TotpCredential> out;
    for (;;) {
      HSM2FA_TRY(row, q->step());
      if (!*row) return out;
      HSM2FA_TRY(credential, read_credential(*q));
      out.push_back(std::move(credential).value());
    }
  }

  Result<bool> replace_seed(std::int64_t credential_id, const SeedRef& expected,
                            const SeedRef& replacement) override {
    if (replacement.encoded.empty()) return make_error(Errc::invalid_argument, "empty seed ref");
    std::lock_guard lock(mu_);
    HSM2FA_TRY(tx, WriteTransaction::begin(*conn_));
    HSM2FA_TRY(cas, conn_->query("UPDATE totp_credentials SET seed_ref = ?"
                                 " WHERE id = ? AND seed_ref = ?"));
    HSM2FA_CHECK(cas->bind(replacement.encoded).bind(credential_id).bind(expected.encoded).run());
    if (conn_->changes() == 0) return false;
    HSM2FA_CHECK(tx->commit());
    return true;
  }

  Result<PendingPut> put_pending_totp(const TotpCredential& pending) override {
    HSM2FA_CHECK(check_user(pending.tenant, pending.user));
    if (pending.state != CredentialState::pending || pending.seed.encoded.empty()) {
      return make_error(Errc::invalid_argument, "a new credential must be pending with a seed");
    }
    std::lock_guard lock(mu_);
    HSM2FA_TRY(tx, WriteTransaction::begin(*conn_));
    PendingPut put;
    {
      HSM2FA_TRY(old, conn_->query("SELECT seed_ref FROM totp_credentials"
                                   " WHERE tenant = ? AND user_id = ? AND state = 'pending'"));
      HSM2FA_TRY(row, old->bind(pending.tenant).bind(pending.user).step());
      if (*row) put.replaced = SeedRef{old->text(0)};
    }
    HSM2FA_TRY(del, conn_->query("DELETE FROM totp_credentials"
                                 " WHERE tenant = ? AND user_id = ? AND state = 'pending'"));
    HSM2FA_CHECK(del->bind(pending.tenant).bind(pending.user).run());
    HSM2FA_TRY(ins,
               conn_->query("INSERT INTO totp_credentials (tenant, user_id, state, seed_ref, alg,"
                            " digits, period, last_step, created_at, expires_at)"
                            " VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)"));
    ins->bind(pending.tenant)
        .bind(pending.user)
        .bind(pending.seed.encoded)
        .bind(to_string(pending.alg))
        .bind(pending.digits)
        .bind(pending.period)
        .bind(pending.last_step)
        .bind(pending.created_at)
        .bind(pending.expires_at);
    HSM2FA_CHECK(ins->run());
    put.id = conn_->last_insert_rowid();
    HSM2FA_CHECK(tx->commit());
    return put;
  }

  Result<std::optional<SeedRef>> activate_totp(std::int64_t pending_id, const SeedRef& locked,
                                               std::int64_t accepted_step) override {
    if (locked.encoded.empty()) return make_error(Errc::invalid_argument, "empty seed ref");
    std::lock_guard lock(mu_);
    HSM2FA_TRY(tx, WriteTransaction::begin(*conn_));
    std::string tenant, user;
    {
      HSM2FA_TRY(q, conn_->query("SELECT tenant, user_id FROM totp_credentials"
                                 " WHERE id = ? AND state = 'pending'"));
      HSM2FA_TRY(row, q->bind(pending_id).step());
      if (!*row) return make_error(Errc::conflict, "no pending TOTP credential with that id");
      tenant = q->text(0);
      user = q->text(1);
    }
    std::optional<SeedRef> previous;
    {
      HSM2FA_TRY(q, conn_->query("SELECT seed_ref FROM totp_credentials"
                                 " WHERE tenant = ? AND user_id = ? AND state = 'active'"));
      HSM2FA_TRY(row, q->bind(tenant).bind(user).step());
      if (*row) previous = SeedRef{q->text(0)};
    }
    HSM2FA_TRY(del, conn_->query("DELETE FROM totp_credentials"
                                 " WHERE tenant = ? AND user_id = ? AND state = 'active'"));
    HSM2FA_CHECK(del->bind(tenant).bind(user).run());
    HSM2FA_TRY(up, conn_->query("UPDATE totp_credentials SET state = 'active', seed_ref = ?,"
                                " last_step = max(last_step, ?), expires_at = 0 WHERE id = ?"));
    HSM2FA_CHECK(up->bind(locked.encoded).bind(accepted_step).bind(pending_id).run());
    HSM2FA_CHECK(tx->commit());
    return previous;
  }

  Result<std::vector<SeedRef>> delete_totp(std::string_view tenant,
                                           std::string_view user) override {
    std::lock_guard lock(mu_);
    HSM2FA_TRY(tx, WriteTransaction::begin(*conn_));
    std::vector<SeedRef> seeds;
    {
      HSM2FA_TRY(q, conn_->query("SELECT seed_ref FROM totp_credentials"
                                 " WHERE tenant = ? AND user_id = ? ORDER BY id"));
      q->bind(tenant).bind(user);
      for (;;) {
        HSM2FA_TRY(row, q->step());
        if (!*row) break;
        seeds.push_back(SeedRef{q->text(0)});
      }
    }
    HSM2FA_TRY(del, conn_->query("DELETE FROM totp_credentials WHERE tenant = ? AND user_id = ?"));
    HSM2FA_CHECK(del->bind(tenant).bind(user).run());
    HSM2FA_CHECK(tx->commit());
    return seeds;
  }

  Result<bool> accept_totp_step(std::int64_t credential_id, std::string_view tenant,
                                std::string_view user, std::int64_t step) override {
    std::lock_guard lock(mu_);
    HSM2FA_TRY(tx, WriteTransaction::begin(*conn_));
    // The compare-and-set: whoever moves last_step past `step` first wins it, on any connection.
    HSM2FA_TRY(cas, conn_->query("UPDATE totp_credentials SET last_step = ?"
                                 " WHERE id = ? AND tenant = ? AND user_id = ? AND last_step < ?"));
    HSM2FA_CHECK(cas->bind(step).bind(credential_id).bind(tenant).bind(user).bind(step).run());
    if (conn_->changes() == 0) {
      HSM2FA_TRY(q,
                 conn_->query(
                     "SELECT 1 FROM totp_credentials WHERE id = ? AND tenant = ? AND user_id = ?"));
      HSM2FA_TRY(exists, q->bind(credential_id).bind(tenant).bind(user).step());
      if (!*exists) return make_error(Errc::not_found, "no such TOTP credential for this user");
      return false;  // nothing written: the rollback on return is a no-op
    }
    HSM2FA_CHECK(clear_throttle(tenant, user));
    HSM2FA_CHECK(tx->commit());
    return true;
  }

  Result<UserState> user_state(std::string_view tenant, std::string_view user) override {
    std::lock_guard lock(mu_);
    HSM2FA_TRY(q, conn_->query("SELECT two_factor_enabled, disabled_reason, disabled_until,"
                               " failures, not_before_ms, locked_until_ms"
                               " FROM users WHERE tenant = ? AND user_id = ?"));
    HSM2FA_TRY(row, q->bind(tenant).bind(user).step());
    UserState state;
    if (*row) {
      state.two_factor_enabled = q->int64(0) != 0;
      state.disabled_reason = q->text(1);
      state.disabled_until = q->int64(2);
      state.throttle = read_throttle(*q, 3);
    }
    return state;
  }

  Result<ThrottleState> record_failure(std::string_view tenant, std::string_view user,
                                       const ThrottlePolicy& policy, std::int64_t now_ms) override {
    HSM2FA_CHECK(check_user(tenant, user));
    std::lock_guard lock(mu_);
    // Read and write under one write lock, so concurrent failures all count.
    HSM2FA_TRY(tx, WriteTransaction::begin(*conn_));
    ThrottleState before;
    {
      HSM2FA_TRY(q, conn_->query("SELECT failures, not_before_ms, locked_until_ms"
                                 " FROM users WHERE tenant = ? AND user_id = ?"));
      HSM2FA_TRY(row, q->bind(tenant).bind(user).step());
      if (*row) before = read_throttle(*q, 0);
    }
    const ThrottleState after = after_failure(before, policy, now_ms);
    HSM2FA_TRY(up, conn_->query(
                       "INSERT INTO users (tenant, user_id, failures, not_before_ms,"
                       " locked_until_ms) VALUES (?, ?, ?, ?, ?)"
                       " ON CONFLICT (tenant, user_id) DO UPDATE SET failures = excluded.failures,"
                       " not_before_ms = excluded.not_before_ms,"
                       " locked_until_ms = excluded.locked_until_ms"));
    up->bind(tenant)
        .bind(user)
        .bind(after.failures)
        .bind(after.not_before_ms)
        .bind(after.locked_until_ms);
    HSM2FA_CHECK(up->run());
    HSM2FA_CHECK(tx->commit());
    return after;
  }

  Status reset_throttle(std::string_view tenant, std::string_view user) override {
    std::lock_guard lock(mu_);
    HSM2FA_TRY(tx, WriteTransaction::begin(*conn_));
    HSM2FA_CHECK(clear_throttle(tenant, user));
    return tx->commit();
  }

  Status set_two_factor(std::string_view tenant, std::string_view user, bool enabled,
                        std::string_view reason, std::int64_t until) override {
    HSM2FA_CHECK(check_user(tenant, user));
    std::lock_guard lock(mu_);
    HSM2FA_TRY(tx, WriteTransaction::begin(*conn_));
    HSM2FA_CHECK(upsert_two_factor(tenant, user, enabled, reason, until));
    return tx->commit();
  }

  Status set_two_factor_many(std::string_view tenant, std::span<const std::string> users,
                             bool enabled, std::string_view reason, std::int64_t until) override {
    for (const auto& user : users) HSM2FA_CHECK(check_user(tenant, user));
    std::lock_guard lock(mu_);
    // One transaction, one fsync, however many users.
    HSM2FA_TRY(tx, WriteTransaction::begin(*conn_));
    for (const auto& user : users)
      HSM2FA_CHECK(upsert_two_factor(tenant, user, enabled, reason, until));
    return tx->commit();
  }

  Result<std::optional<std::int64_t>> put_email_code(const EmailCode& code,
                                                     std::int64_t cooldown_s) override {
    HSM2FA_CHECK(check_user(code.tenant, code.user));
    if (code.mac.empty()) return make_error(Errc::invalid_argument, "an email code needs a MAC");
    std::lock_guard lock(mu_);
    HSM2FA_TRY(tx, WriteTransaction::begin(*conn_));
    {
      HSM2FA_TRY(
          q, conn_->query("SELECT issued_at FROM email_codes WHERE tenant = ? AND user_id = ?"));
      HSM2FA_TRY(row, q->bind(code.tenant).bind(code.user).step());
      if (*row && q->int64(0) + cooldown_s > code.issued_at) {
        return std::optional<std::int64_t>(q->int64(0) + cooldown_s);
      }
    }
    HSM2FA_TRY(up, conn_->query("INSERT OR REPLACE INTO email_codes (tenant, user_id, mac,"
                                " issued_at, expires_at, attempts) VALUES (?, ?, ?, ?, ?, 0)"));
    up->bind(code.tenant).bind(code.user).bind(code.mac).bind(code.issued_at).bind(code.expires_at);
    HSM2FA_CHECK(up->run());
    HSM2FA_CHECK(tx->commit());
    return std::optional<std::int64_t>();
  }

  Result<std::optional<EmailCode>> email_code(std::string_view tenant,
                                              std::string_view user) override {
    std::lock_guard lock(mu_);
    HSM2FA_TRY(q, conn_->query("SELECT mac, issued_at, expires_at, attempts FROM email_codes"
                               " WHERE tenant = ? AND user_id = ?"));
    HSM2FA_TRY(row, q->bind(tenant).bind(user).step());
    if (!*row) return std::optional<EmailCode>();
    EmailCode code{std::string(tenant), std::string(user), q->text(0),
                   q->int64(1),         q->int64(2),       static_cast<int>(q->int64(3))};
    return std::optional<EmailCode>(std::move(code));
  }

  Result<bool> take_email_code(std::string_view tenant, std::string_view user,
                               std::string_view mac) override {
    std::lock_guard lock(mu_);
    HSM2FA_TRY(tx, WriteTransaction::begin(*conn_));
    HSM2FA_TRY(
        del, conn_->query("DELETE FROM email_codes WHERE tenant = ? AND user_id = ? AND mac = ?"));
    HSM2FA_CHECK(del->bind(tenant).bind(user).bind(mac).run());
    if (conn_->changes() == 0) return false;
    HSM2FA_CHECK(clear_throttle(tenant, user));
    HSM2FA_CHECK(tx->commit());
    return true;
  }

  Result<int> count_email_attempt(std::string_view tenant, std::string_view user,
                                  std::string_view mac, int max_attempts) override {
    std::lock_guard lock(mu_);
    HSM2FA_TRY(tx, WriteTransaction::begin(*conn_));
    int attempts = 0;
    {
      HSM2FA_TRY(up,
                 conn_->query("UPDATE email_codes SET attempts = attempts + 1"
                              " WHERE tenant = ? AND user_id = ? AND mac = ? RETURNING attempts"));
      HSM2FA_TRY(row, up->bind(tenant).bind(user).bind(mac).step());
      if (!*row) return 0;
      attempts = static_cast<int>(up->int64(0));
    }
    if (attempts >= max_attempts) {
      HSM2FA_TRY(del, conn_->query(
                          "DELETE FROM email_codes WHERE tenant = ? AND user_id = ? AND mac = ?"));
      HSM2FA_CHECK(del->bind(tenant).bind(user).bind(mac).run());
    }
    HSM2FA_CHECK(tx->commit());
    return attempts;
  }

  Status delete_email_code(std::string_view tenant, std::string_view user,
                           std::string_view mac) override {
    std::lock_guard lock(mu_);
    HSM2FA_TRY(tx, WriteTransaction::begin(*conn_));
    HSM2FA_TRY(
        del, conn_->query("DELETE FROM email_codes WHERE tenant = ? AND user_id = ? AND mac = ?"));
    HSM2FA_CHECK(del->bind(tenant).bind(user).bind(mac).run());
    return tx->commit();
  }

  Status add_device(const PushDevice& d) override {
    HSM2FA_CHECK(check_user(d.tenant, d.user));
    if (d.id.empty()) return make_error(Errc::invalid_argument, "a device needs an id");
    std::lock_guard lock(mu_);
    HSM2FA_TRY(tx, WriteTransaction::begin(*conn_));
    HSM2FA_TRY(ins, conn_->query("INSERT OR IGNORE INTO push_devices (id, tenant, user_id, name,"
                                 " public_key, created_at) VALUES (?, ?, ?, ?, ?, ?)"));
    ins->bind(d.id)
        .bind(d.tenant)
        .bind(d.user)
        .bind(d.name)
        .bind(d.public_key_pem)
        .bind(d.created_at);
    HSM2FA_CHECK(ins->run());
    if (conn_->changes() == 0) return make_error(Errc::conflict, "a device with that id exists");
    return tx->commit();
  }

  Result<std::vector<PushDevice>> devices(std::string_view tenant, std::string_view user) override {
    std::lock_guard lock(mu_);
    HSM2FA_TRY(q, conn_->query("SELECT " + std::string(kDeviceColumns) +
                               " FROM push_devices WHERE tenant = ? AND user_id = ?"
                               " ORDER BY created_at, id"));
    q->bind(tenant).bind(user);
    std::vector<PushDevice> out;
    for (;;) {
      HSM2FA_TRY(row, q->step());
      if (!*row) return out;
      out.push_back(read_device(*q));
    }
  }

  Result<std::optional<PushDevice>> device(std::string_view id) override {
    std::lock_guard lock(mu_);
    HSM2FA_TRY(q, conn_->query("SELECT " + std::string(kDeviceColumns) +
                               " FROM push_devices WHERE id = ?"));
    HSM2FA_TRY(row, q->bind(id).step());
    if (!*row) return std::optional<PushDevice>();
    return std::optional<PushDevice>(read_device(*q));
  }

  Result<bool> delete_device(std::string_view tenant, std::string_view user,
                             std::string_view id) override {
    std::lock_guard lock(mu_);
    HSM2FA_TRY(tx, WriteTransaction::begin(*conn_));
    HSM2FA_TRY(
        del, conn_->query("DELETE FROM push_devices WHERE id = ? AND tenant = ? AND user_id = ?"));
    HSM2FA_CHECK(del->bind(id).bind(tenant).bind(user).run());
    const bool removed = conn_->changes() == 1;
    HSM2FA_CHECK(tx->commit());
    return removed;
  }

  Result<std::optional<std::int64_t>> add_challenge(const PushChallenge& c, int max_recent,
                                                    std::int64_t recent_since,
                                                    std::int64_t window_s) override {
    HSM2FA_CHECK(check_user(c.tenant, c.user));
    if (c.id.empty()) return make_error(Errc::invalid_argument, "a challenge needs an id");
    std::lock_guard lock(mu_);
    HSM2FA_TRY(tx, WriteTransaction::begin(*conn_));
    {
      HSM2FA_TRY(q, conn_->query("SELECT count(*), coalesce(min(created_at), 0) FROM"
                                 " push_challenges WHERE tenant = ? AND user_id = ?"
                                 " AND created_at >= ?"));
      HSM2FA_TRY(row, q->bind(c.tenant).bind(c.user).bind(recent_since).step());
      if (*row && q->int64(0) >= max_recent) {
        return std::optional<std::int64_t>(q->int64(1) + window_s);
      }
    }
    HSM2FA_TRY(ins, conn_->query("INSERT INTO push_challenges (id, tenant, user_id, origin, ip,"
                                 " user_agent, nonce, number, numbers, created_at, expires_at,"
                                 " state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')"));
    ins->bind(c.id).bind(c.tenant).bind(c.user).bind(c.origin).bind(c.ip).bind(c.user_agent);
    ins->bind(c.nonce)
        .bind(c.number)
        .bind(join_numbers(c.numbers))
        .bind(c.created_at)
        .bind(c.expires_at);
    HSM2FA_CHECK(ins->run());
    HSM2FA_CHECK(tx->commit());
    return std::optional<std::int64_t>();
  }

  Result<std::optional<PushChallenge>> challenge(std::string_view id) override {
    std::lock_guard lock(mu_);
    HSM2FA_TRY(q, conn_->query("SELECT " + std::string(kChallengeColumns) +
                               " FROM push_challenges WHERE id = ?"));
    HSM2FA_TRY(row, q->bind(id).step());
    if (!*row) return std::optional<PushChallenge>();
    HSM2FA_TRY(c, read_challenge(*q));
    return std::optional<PushChallenge>(std::move(c).value());
  }

  Result<std::vector<PushChallenge>> pending_challenges(std::string_view tenant,
                                                        std::string_view user,
                                                        std::int64_t now) override {
    std::lock_guard lock(mu_);
    HSM2FA_TRY(q, conn_->query("SELECT " + std::string(kChallengeColumns) +
                               " FROM push_challenges WHERE tenant = ? AND user_id = ?"
                               " AND state = 'pending' AND expires_at > ?"
                               " ORDER BY created_at, id"));
    q->bind(tenant).bind(user).bind(now);
    std::vector<PushChallenge> out;
    for (;;) {
      HSM2FA_TRY(row, q->step());
      if (!*row) return out;
      HSM2FA_TRY(c, read_challenge(*q));
      out.push_back(std::move(c).value());
    }
  }

  Result<bool> answer_challenge(std::string_view id, ChallengeState state, std::string_view method,
                                std::string_view device_id, std::int64_t now) override {
    if (state == ChallengeState::pending) {
      return make_error(Errc::invalid_argument, "an answer approves or denies");
    }
    std::lock_guard lock(mu_);
    HSM2FA_TRY(tx, WriteTransaction::begin(*conn_));
    // The compare-and-set that makes a challenge single-use.
    HSM2FA_TRY(up, conn_->query("UPDATE push_challenges SET state = ?, method = ?, device_id = ?"
                                " WHERE id = ? AND state = 'pending' AND expires_at > ?"));
    up->bind(state == ChallengeState::approved ? "approved" : "denied")
        .bind(method)
        .bind(device_id)
        .bind(id)
        .bind(now);
    HSM2FA_CHECK(up->run());
    if (conn_->changes() == 0) return false;
    HSM2FA_CHECK(tx->commit());
    return true;
  }

 private:
  static ThrottleState read_throttle(const Query& q, int first_column) {
    ThrottleState t;
    t.failures = static_cast<int>(q.int64(first_column));
    t.not_before_ms = q.int64(first_column + 1);
    t.locked_until_ms = q.int64(first_column + 2);
    return t;
  }

  // Inside the caller's transaction.
  Status upsert_two_factor(std::string_view tenant, std::string_view user, bool enabled,
                           std::string_view reason, std::int64_t until) {
    HSM2FA_TRY(
        up, conn_->query("INSERT INTO users (tenant, user_id, two_factor_enabled, disabled_reason,"
                         " disabled_until) VALUES (?, ?, ?, ?, ?)"
                         " ON CONFLICT (tenant, user_id) DO UPDATE SET"
                         " two_factor_enabled = excluded.two_factor_enabled,"
                         " disabled_reason = excluded.disabled_reason,"
                         " disabled_until = excluded.disabled_until"));
    up->bind(tenant).bind(user).bind(enabled ? 1 : 0).bind(reason).bind(until);
    return up->run();
  }

  // Inside the caller's transaction. A user with no row has nothing to clear.
  Status clear_throttle(std::string_view tenant, std::string_view user) {
    HSM2FA_TRY(q, conn_->query("UPDATE users SET failures = 0, not_before_ms = 0,"
                               " locked_until_ms = 0 WHERE tenant = ? AND user_id = ?"));
    return q->bind(tenant).bind(user).run();
  }

  Result<std::vector<TotpCredential>> select_credentials(std::string_view tenant,
                                                         std::string_view user) {
    static const std::string sql = "SELECT " + std::string(kCredentialColumns) +
                                   " FROM totp_credentials WHERE tenant = ? AND user_id = ?"
                                   " ORDER BY id";
    HSM2FA_TRY(q, conn_->query(sql));
    q->bind(tenant).bind(user);
    std::vector<TotpCredential> out;
    for (;;) {
      HSM2FA_TRY(row, q->step());
      if (!*row) return out;
      HSM2FA_TRY(credential, read_credential(*q));
      out.push_back(std::move(credential).value());
    }
  }

  std::mutex mu_;
  std::unique_ptr<Connection> conn_;
};

#undef HSM2FA_TRY
#undef HSM2FA_CHECK

}  // namespace

Result<std::shared_ptr<Store>> open_sqlite_store(const std::string& path) {
  auto conn = Connection::open(path);
  if (!conn) return std::move(conn).error();
  if (auto ok = migrate(**conn, schema_migrations()); !ok) return std::move(ok).error();
  return std::shared_ptr<Store>(std::make_shared<SqliteStore>(std::move(conn).value()));
}

}  // namespace hsm2fa::store::sqlite
