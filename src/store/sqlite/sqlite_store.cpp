#include "sqlite_store.hpp"

#include <algorithm>

#include "../push_columns.hpp"
#include "bulk_import.hpp"
#include "checkpointer.hpp"
#include "group_commit.hpp"
#include "migrations.hpp"
#include "reader_pool.hpp"
#include "rows.hpp"

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

Status check_user(std::string_view tenant, std::string_view user) {
  if (tenant.empty() || user.empty()) {
    return make_error(Errc::invalid_argument, "tenant and user must not be empty");
  }
  return {};
}

// Inside the caller's write. A user with no row has nothing to clear.
Status clear_throttle(Connection& c, std::string_view tenant, std::string_view user) {
  HSM2FA_TRY(q, c.query("UPDATE users SET failures = 0, not_before_ms = 0,"
                        " locked_until_ms = 0 WHERE tenant = ? AND user_id = ?"));
  return q->bind(tenant).bind(user).run();
}

// Inside the caller's write.
Status upsert_two_factor(Connection& c, std::string_view tenant, std::string_view user,
                         bool enabled, std::string_view reason, std::int64_t until) {
  HSM2FA_TRY(up, c.query("INSERT INTO users (tenant, user_id, two_factor_enabled, disabled_reason,"
                         " disabled_until) VALUES (?, ?, ?, ?, ?)"
                         " ON CONFLICT (tenant, user_id) DO UPDATE SET"
                         " two_factor_enabled = excluded.two_factor_enabled,"
                         " disabled_reason = excluded.disabled_reason,"
                         " disabled_until = excluded.disabled_until"));
  up->bind(tenant).bind(user).bind(enabled ? 1 : 0).bind(reason).bind(until);
  return up->run();
}

// Every row of `q` through `read_row` (Query -> Result<T>).
template <class T, class F>
Result<std::vector<T>> collect(Query& q, F&& read_row) {
  std::vector<T> out;
  for (;;) {
    HSM2FA_TRY(row, q.step());
    if (!*row) return out;
    HSM2FA_TRY(item, read_row(q));
    out.push_back(std::move(item).value());
  }
}

// Reads run on a pooled reader connection, concurrently; writes go through the group commit
// (one writer connection, one transaction and fsync per batch of concurrent writes). Other
// instances on the same file, in this or other processes, stay consistent: every batch is a
// BEGIN IMMEDIATE transaction and the busy timeout queues them.
class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Connection> writer, std::string path,
              std::unique_ptr<Checkpointer> checkpointer)
      : writer_(std::move(writer)),
        readers_(std::move(path)),
        checkpointer_(std::move(checkpointer)) {}

  GroupCommitStats group_commit_stats() const { return writer_.stats(); }

  Status ping() override {
    return read([](Connection& c) -> Status {
      HSM2FA_TRY(q, c.query("SELECT count(*) FROM schema_version"));
      HSM2FA_TRY(row, q->step());
      return {};
    });
  }

  Result<std::vector<TotpCredential>> totp_credentials(std::string_view tenant,
                                                       std::string_view user) override {
    static const std::string sql = "SELECT " + std::string(kCredentialColumns) +
                                   " FROM totp_credentials WHERE tenant = ? AND user_id = ?"
                                   " ORDER BY id";
    return read([&](Connection& c) -> Result<std::vector<TotpCredential>> {
      HSM2FA_TRY(q, c.query(sql));
      q->bind(tenant).bind(user);
      return collect<TotpCredential>(*q, read_credential);
    });
  }

  Result<std::vector<TotpCredential>> totp_credentials_after(std::int64_t after_id,
                                                             std::size_t limit) override {
    static const std::string sql = "SELECT " + std::string(kCredentialColumns) +
                                   " FROM totp_credentials WHERE id > ? ORDER BY id LIMIT ?";
    return read([&](Connection& c) -> Result<std::vector<TotpCredential>> {
      HSM2FA_TRY(q, c.query(sql));
      q->bind(after_id).bind(static_cast<std::int64_t>(limit));
      return collect<TotpCredential>(*q, read_credential);
    });
  }

  Status import_totp_batch(std::span<const TotpCredential> credentials) override {
    for (std::size_t at = 0; at < credentials.size(); at += kImportBatchRows) {
      auto rows = credentials.subspan(at, std::min(kImportBatchRows, credentials.size() - at));
      HSM2FA_CHECK(writer_.write([&](Connection& c) { return insert_totp_rows(c, rows); }));
    }
    return {};
  }

  Result<bool> replace_seed(std::int64_t credential_id, const SeedRef& expected,
                            const SeedRef& replacement) override {
    if (replacement.encoded.empty()) return make_error(Errc::invalid_argument, "empty seed ref");
    return writer_.write([&](Connection& c) -> Result<bool> {
      HSM2FA_TRY(cas, c.query("UPDATE totp_credentials SET seed_ref = ?"
                              " WHERE id = ? AND seed_ref = ?"));
      HSM2FA_CHECK(cas->bind(replacement.encoded).bind(credential_id).bind(expected.encoded).run());
      return c.changes() == 1;
    });
  }

  Result<PendingPut> put_pending_totp(const TotpCredential& pending) override {
    HSM2FA_CHECK(check_user(pending.tenant, pending.user));
    if (pending.state != CredentialState::pending || pending.seed.encoded.empty()) {
      return make_error(Errc::invalid_argument, "a new credential must be pending with a seed");
    }
    return writer_.write([&](Connection& c) -> Result<PendingPut> {
      PendingPut put;
      {
        HSM2FA_TRY(old, c.query("SELECT seed_ref FROM totp_credentials"
                                " WHERE tenant = ? AND user_id = ? AND state = 'pending'"));
        HSM2FA_TRY(row, old->bind(pending.tenant).bind(pending.user).step());
        if (*row) put.replaced = SeedRef{old->text(0)};
      }
      HSM2FA_TRY(del, c.query("DELETE FROM totp_credentials"
                              " WHERE tenant = ? AND user_id = ? AND state = 'pending'"));
      HSM2FA_CHECK(del->bind(pending.tenant).bind(pending.user).run());
      HSM2FA_TRY(ins, c.query("INSERT INTO totp_credentials (tenant, user_id, state, seed_ref,"
                              " alg, digits, period, last_step, created_at, expires_at)"
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
      put.id = c.last_insert_rowid();
      return put;
    });
  }

  Result<std::optional<SeedRef>> activate_totp(std::int64_t pending_id, const SeedRef& locked,
                                               std::int64_t accepted_step) override {
    if (locked.encoded.empty()) return make_error(Errc::invalid_argument, "empty seed ref");
    return writer_.write([&](Connection& c) -> Result<std::optional<SeedRef>> {
      std::string tenant, user;
      {
        HSM2FA_TRY(q, c.query("SELECT tenant, user_id FROM totp_credentials"
                              " WHERE id = ? AND state = 'pending'"));
        HSM2FA_TRY(row, q->bind(pending_id).step());
        if (!*row) return make_error(Errc::conflict, "no pending TOTP credential with that id");
        tenant = q->text(0);
        user = q->text(1);
      }
      std::optional<SeedRef> previous;
      {
        HSM2FA_TRY(q, c.query("SELECT seed_ref FROM totp_credentials"
                              " WHERE tenant = ? AND user_id = ? AND state = 'active'"));
        HSM2FA_TRY(row, q->bind(tenant).bind(user).step());
        if (*row) previous = SeedRef{q->text(0)};
      }
      HSM2FA_TRY(del, c.query("DELETE FROM totp_credentials"
                              " WHERE tenant = ? AND user_id = ? AND state = 'active'"));
      HSM2FA_CHECK(del->bind(tenant).bind(user).run());
      HSM2FA_TRY(up, c.query("UPDATE totp_credentials SET state = 'active', seed_ref = ?,"
                             " last_step = max(last_step, ?), expires_at = 0 WHERE id = ?"));
      HSM2FA_CHECK(up->bind(locked.encoded).bind(accepted_step).bind(pending_id).run());
      return previous;
    });
  }

  Result<std::vector<SeedRef>> delete_totp(std::string_view tenant,
                                           std::string_view user) override {
    return writer_.write([&](Connection& c) -> Result<std::vector<SeedRef>> {
      std::vector<SeedRef> seeds;
      {
        HSM2FA_TRY(q, c.query("SELECT seed_ref FROM totp_credentials"
                              " WHERE tenant = ? AND user_id = ? ORDER BY id"));
        q->bind(tenant).bind(user);
        HSM2FA_TRY(all, collect<SeedRef>(*q, [](const Query& r) -> Result<SeedRef> {
                     return SeedRef{r.text(0)};
                   }));
        seeds = std::move(all).value();
      }
      HSM2FA_TRY(del, c.query("DELETE FROM totp_credentials WHERE tenant = ? AND user_id = ?"));
      HSM2FA_CHECK(del->bind(tenant).bind(user).run());
      return seeds;
    });
  }

  Result<bool> accept_totp_step(std::int64_t credential_id, std::string_view tenant,
                                std::string_view user, std::int64_t step) override {
    return writer_.write([&](Connection& c) -> Result<bool> {
      // The compare-and-set: whoever moves last_step past `step` first wins it, on any
      // connection, and within a batch the earlier write of two for the same step.
      HSM2FA_TRY(cas, c.query("UPDATE totp_credentials SET last_step = ? WHERE id = ?"
                              " AND tenant = ? AND user_id = ? AND last_step < ?"));
      HSM2FA_CHECK(cas->bind(step).bind(credential_id).bind(tenant).bind(user).bind(step).run());
      if (c.changes() == 0) {
        HSM2FA_TRY(q, c.query("SELECT 1 FROM totp_credentials"
                              " WHERE id = ? AND tenant = ? AND user_id = ?"));
        HSM2FA_TRY(exists, q->bind(credential_id).bind(tenant).bind(user).step());
        if (!*exists) return make_error(Errc::not_found, "no such TOTP credential for this user");
        return false;
      }
      HSM2FA_CHECK(clear_throttle(c, tenant, user));
      return true;
    });
  }

  Result<UserState> user_state(std::string_view tenant, std::string_view user) override {
    return read([&](Connection& c) -> Result<UserState> {
      HSM2FA_TRY(q, c.query("SELECT two_factor_enabled, disabled_reason, disabled_until,"
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
    });
  }

  Result<ThrottleState> record_failure(std::string_view tenant, std::string_view user,
                                       const ThrottlePolicy& policy, std::int64_t now_ms) override {
    HSM2FA_CHECK(check_user(tenant, user));
    // Read and write in one write, so concurrent failures all count.
    return writer_.write([&](Connection& c) -> Result<ThrottleState> {
      ThrottleState before;
      {
        HSM2FA_TRY(q, c.query("SELECT failures, not_before_ms, locked_until_ms"
                              " FROM users WHERE tenant = ? AND user_id = ?"));
        HSM2FA_TRY(row, q->bind(tenant).bind(user).step());
        if (*row) before = read_throttle(*q, 0);
      }
      const ThrottleState after = after_failure(before, policy, now_ms);
      HSM2FA_TRY(up, c.query("INSERT INTO users (tenant, user_id, failures, not_before_ms,"
                             " locked_until_ms) VALUES (?, ?, ?, ?, ?)"
                             " ON CONFLICT (tenant, user_id) DO UPDATE SET"
                             " failures = excluded.failures,"
                             " not_before_ms = excluded.not_before_ms,"
                             " locked_until_ms = excluded.locked_until_ms"));
      up->bind(tenant)
          .bind(user)
          .bind(after.failures)
          .bind(after.not_before_ms)
          .bind(after.locked_until_ms);
      HSM2FA_CHECK(up->run());
      return after;
    });
  }

  Status reset_throttle(std::string_view tenant, std::string_view user) override {
    return writer_.write([&](Connection& c) { return clear_throttle(c, tenant, user); });
  }

  Status set_two_factor(std::string_view tenant, std::string_view user, bool enabled,
                        std::string_view reason, std::int64_t until) override {
    HSM2FA_CHECK(check_user(tenant, user));
    return writer_.write(
        [&](Connection& c) { return upsert_two_factor(c, tenant, user, enabled, reason, until); });
  }

  Status set_two_factor_many(std::string_view tenant, std::span<const std::string> users,
                             bool enabled, std::string_view reason, std::int64_t until) override {
    for (const auto& user : users) HSM2FA_CHECK(check_user(tenant, user));
    // One write: all or none.
    return writer_.write([&](Connection& c) -> Status {
      for (const auto& user : users)
        HSM2FA_CHECK(upsert_two_factor(c, tenant, user, enabled, reason, until));
      return {};
    });
  }

  Result<std::optional<std::int64_t>> put_email_code(const EmailCode& code,
                                                     std::int64_t cooldown_s) override {
    HSM2FA_CHECK(check_user(code.tenant, code.user));
    if (code.mac.empty()) return make_error(Errc::invalid_argument, "an email code needs a MAC");
    return writer_.write([&](Connection& c) -> Result<std::optional<std::int64_t>> {
      {
        HSM2FA_TRY(q,
                   c.query("SELECT issued_at FROM email_codes WHERE tenant = ? AND user_id = ?"));
        HSM2FA_TRY(row, q->bind(code.tenant).bind(code.user).step());
        if (*row && q->int64(0) + cooldown_s > code.issued_at) {
          return std::optional<std::int64_t>(q->int64(0) + cooldown_s);
        }
      }
      HSM2FA_TRY(up, c.query("INSERT OR REPLACE INTO email_codes (tenant, user_id, mac,"
                             " issued_at, expires_at, attempts) VALUES (?, ?, ?, ?, ?, 0)"));
      up->bind(code.tenant)
          .bind(code.user)
          .bind(code.mac)
          .bind(code.issued_at)
          .bind(code.expires_at);
      HSM2FA_CHECK(up->run());
      return std::optional<std::int64_t>();
    });
  }

  Result<std::optional<EmailCode>> email_code(std::string_view tenant,
                                              std::string_view user) override {
    return read([&](Connection& c) -> Result<std::optional<EmailCode>> {
      HSM2FA_TRY(q, c.query("SELECT mac, issued_at, expires_at, attempts FROM email_codes"
                            " WHERE tenant = ? AND user_id = ?"));
      HSM2FA_TRY(row, q->bind(tenant).bind(user).step());
      if (!*row) return std::optional<EmailCode>();
      EmailCode code{std::string(tenant), std::string(user), q->text(0),
                     q->int64(1),         q->int64(2),       static_cast<int>(q->int64(3))};
      return std::optional<EmailCode>(std::move(code));
    });
  }

  Result<bool> take_email_code(std::string_view tenant, std::string_view user,
                               std::string_view mac) override {
    return writer_.write([&](Connection& c) -> Result<bool> {
      HSM2FA_TRY(del,
                 c.query("DELETE FROM email_codes WHERE tenant = ? AND user_id = ? AND mac = ?"));
      HSM2FA_CHECK(del->bind(tenant).bind(user).bind(mac).run());
      if (c.changes() == 0) return false;
      HSM2FA_CHECK(clear_throttle(c, tenant, user));
      return true;
    });
  }

  Result<int> count_email_attempt(std::string_view tenant, std::string_view user,
                                  std::string_view mac, int max_attempts) override {
    return writer_.write([&](Connection& c) -> Result<int> {
      int attempts = 0;
      {
        HSM2FA_TRY(up, c.query("UPDATE email_codes SET attempts = attempts + 1 WHERE tenant = ?"
                               " AND user_id = ? AND mac = ? RETURNING attempts"));
        HSM2FA_TRY(row, up->bind(tenant).bind(user).bind(mac).step());
        if (!*row) return 0;
        attempts = static_cast<int>(up->int64(0));
      }
      if (attempts >= max_attempts) {
        HSM2FA_TRY(del, c.query("DELETE FROM email_codes"
                                " WHERE tenant = ? AND user_id = ? AND mac = ?"));
        HSM2FA_CHECK(del->bind(tenant).bind(user).bind(mac).run());
      }
      return attempts;
    });
  }

  Status delete_email_code(std::string_view tenant, std::string_view user,
                           std::string_view mac) override {
    return writer_.write([&](Connection& c) -> Status {
      HSM2FA_TRY(del,
                 c.query("DELETE FROM email_codes WHERE tenant = ? AND user_id = ? AND mac = ?"));
      return del->bind(tenant).bind(user).bind(mac).run();
    });
  }

  Status add_device(const PushDevice& d) override {
    HSM2FA_CHECK(check_user(d.tenant, d.user));
    if (d.id.empty()) return make_error(Errc::invalid_argument, "a device needs an id");
    return writer_.write([&](Connection& c) -> Status {
      HSM2FA_TRY(ins, c.query("INSERT OR IGNORE INTO push_devices (id, tenant, user_id, name,"
                              " public_key, created_at) VALUES (?, ?, ?, ?, ?, ?)"));
      ins->bind(d.id)
          .bind(d.tenant)
          .bind(d.user)
          .bind(d.name)
          .bind(d.public_key_pem)
          .bind(d.created_at);
      HSM2FA_CHECK(ins->run());
      if (c.changes() == 0) return make_error(Errc::conflict, "a device with that id exists");
      return {};
    });
  }

  Result<std::vector<PushDevice>> devices(std::string_view tenant, std::string_view user) override {
    static const std::string sql = "SELECT " + std::string(kDeviceColumns) +
                                   " FROM push_devices WHERE tenant = ? AND user_id = ?"
                                   " ORDER BY created_at, id";
    return read([&](Connection& c) -> Result<std::vector<PushDevice>> {
      HSM2FA_TRY(q, c.query(sql));
      q->bind(tenant).bind(user);
      return collect<PushDevice>(
          *q, [](const Query& r) -> Result<PushDevice> { return read_device(r); });
    });
  }

  Result<std::optional<PushDevice>> device(std::string_view id) override {
    static const std::string sql =
        "SELECT " + std::string(kDeviceColumns) + " FROM push_devices WHERE id = ?";
    return read([&](Connection& c) -> Result<std::optional<PushDevice>> {
      HSM2FA_TRY(q, c.query(sql));
      HSM2FA_TRY(row, q->bind(id).step());
      if (!*row) return std::optional<PushDevice>();
      return std::optional<PushDevice>(read_device(*q));
    });
  }

  Result<bool> delete_device(std::string_view tenant, std::string_view user,
                             std::string_view id) override {
    return writer_.write([&](Connection& c) -> Result<bool> {
      HSM2FA_TRY(del,
                 c.query("DELETE FROM push_devices WHERE id = ? AND tenant = ? AND user_id = ?"));
      HSM2FA_CHECK(del->bind(id).bind(tenant).bind(user).run());
      return c.changes() == 1;
    });
  }

  Result<std::optional<std::int64_t>> add_challenge(const PushChallenge& ch, int max_recent,
                                                    std::int64_t recent_since,
                                                    std::int64_t window_s) override {
    HSM2FA_CHECK(check_user(ch.tenant, ch.user));
    if (ch.id.empty()) return make_error(Errc::invalid_argument, "a challenge needs an id");
    return writer_.write([&](Connection& c) -> Result<std::optional<std::int64_t>> {
      {
        HSM2FA_TRY(q, c.query("SELECT count(*), coalesce(min(created_at), 0) FROM"
                              " push_challenges WHERE tenant = ? AND user_id = ?"
                              " AND created_at >= ?"));
        HSM2FA_TRY(row, q->bind(ch.tenant).bind(ch.user).bind(recent_since).step());
        if (*row && q->int64(0) >= max_recent) {
          return std::optional<std::int64_t>(q->int64(1) + window_s);
        }
      }
      HSM2FA_TRY(ins, c.query("INSERT INTO push_challenges (id, tenant, user_id, origin, ip,"
                              " user_agent, nonce, number, numbers, created_at, expires_at,"
                              " state) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')"));
      ins->bind(ch.id).bind(ch.tenant).bind(ch.user).bind(ch.origin).bind(ch.ip);
      ins->bind(ch.user_agent)
          .bind(ch.nonce)
          .bind(ch.number)
          .bind(join_numbers(ch.numbers))
          .bind(ch.created_at)
          .bind(ch.expires_at);
      HSM2FA_CHECK(ins->run());
      return std::optional<std::int64_t>();
    });
  }

  Result<std::optional<PushChallenge>> challenge(std::string_view id) override {
    static const std::string sql =
        "SELECT " + std::string(kChallengeColumns) + " FROM push_challenges WHERE id = ?";
    return read([&](Connection& c) -> Result<std::optional<PushChallenge>> {
      HSM2FA_TRY(q, c.query(sql));
      HSM2FA_TRY(row, q->bind(id).step());
      if (!*row) return std::optional<PushChallenge>();
      HSM2FA_TRY(ch, read_challenge(*q));
      return std::optional<PushChallenge>(std::move(ch).value());
    });
  }

  Result<std::vector<PushChallenge>> pending_challenges(std::string_view tenant,
                                                        std::string_view user,
                                                        std::int64_t now) override {
    static const std::string sql = "SELECT " + std::string(kChallengeColumns) +
                                   " FROM push_challenges WHERE tenant = ? AND user_id = ?"
                                   " AND state = 'pending' AND expires_at > ?"
                                   " ORDER BY created_at, id";
    return read([&](Connection& c) -> Result<std::vector<PushChallenge>> {
      HSM2FA_TRY(q, c.query(sql));
      q->bind(tenant).bind(user).bind(now);
      return collect<PushChallenge>(*q, read_challenge);
    });
  }

  Result<bool> answer_challenge(std::string_view id, ChallengeState state, std::string_view method,
                                std::string_view device_id, std::int64_t now) override {
    if (state == ChallengeState::pending) {
      return make_error(Errc::invalid_argument, "an answer approves or denies");
    }
    return writer_.write([&](Connection& c) -> Result<bool> {
      // The compare-and-set that makes a challenge single-use.
      HSM2FA_TRY(up, c.query("UPDATE push_challenges SET state = ?, method = ?, device_id = ?"
                             " WHERE id = ? AND state = 'pending' AND expires_at > ?"));
      up->bind(state == ChallengeState::approved ? "approved" : "denied")
          .bind(method)
          .bind(device_id)
          .bind(id)
          .bind(now);
      HSM2FA_CHECK(up->run());
      return c.changes() != 0;
    });
  }

 private:
  template <class F>
  auto read(F&& query) -> std::invoke_result_t<F&, Connection&> {
    auto lease = readers_.acquire();
    if (!lease) return std::move(lease).error();
    return query(**lease);
  }

  GroupCommit writer_;
  ReaderPool readers_;
  std::unique_ptr<Checkpointer> checkpointer_;  // destroyed first: it hooks the writer
};

#undef HSM2FA_TRY
#undef HSM2FA_CHECK

}  // namespace

Result<std::shared_ptr<Store>> open_sqlite_store(const std::string& path) {
  auto conn = Connection::open(path);
  if (!conn) return std::move(conn).error();
  if (auto ok = migrate(**conn, schema_migrations()); !ok) return std::move(ok).error();
  auto checkpointer = Checkpointer::start(**conn, path);
  if (!checkpointer) return std::move(checkpointer).error();
  return std::shared_ptr<Store>(
      std::make_shared<SqliteStore>(std::move(conn).value(), path, std::move(*checkpointer)));
}

}  // namespace hsm2fa::store::sqlite

namespace hsm2fa::store {

std::optional<GroupCommitStats> group_commit_stats(const Store& store) {
  const auto* sqlite = dynamic_cast<const sqlite::SqliteStore*>(&store);
  if (sqlite == nullptr) return std::nullopt;
  return sqlite->group_commit_stats();
}

}  // namespace hsm2fa::store
