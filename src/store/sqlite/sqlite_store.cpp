#include "sqlite_store.hpp"

#include <mutex>

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
    HSM2FA_TRY(
        up, conn_->query("INSERT INTO users (tenant, user_id, two_factor_enabled, disabled_reason,"
                         " disabled_until) VALUES (?, ?, ?, ?, ?)"
                         " ON CONFLICT (tenant, user_id) DO UPDATE SET"
                         " two_factor_enabled = excluded.two_factor_enabled,"
                         " disabled_reason = excluded.disabled_reason,"
                         " disabled_until = excluded.disabled_until"));
    up->bind(tenant).bind(user).bind(enabled ? 1 : 0).bind(reason).bind(until);
    HSM2FA_CHECK(up->run());
    return tx->commit();
  }

 private:
  static ThrottleState read_throttle(const Query& q, int first_column) {
    ThrottleState t;
    t.failures = static_cast<int>(q.int64(first_column));
    t.not_before_ms = q.int64(first_column + 1);
    t.locked_until_ms = q.int64(first_column + 2);
    return t;
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
