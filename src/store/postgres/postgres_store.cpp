#include "postgres_store.hpp"

#include <algorithm>
#include <type_traits>
#include <utility>

#include "../push_columns.hpp"
#include "bulk_import.hpp"
#include "connection_pool.hpp"
#include "migrations.hpp"
#include "transaction.hpp"

namespace hsm2fa::store::postgres {
namespace {

// Unwraps a Result into `var`, or returns its error from the enclosing function.
#define HSM2FA_TRY(var, expr) \
  auto var = (expr);          \
  if (!var) return std::move(var).error()

#define HSM2FA_CHECK(expr)                                       \
  do {                                                           \
    if (auto status_ = (expr); !status_) return status_.error(); \
  } while (0)

constexpr int kAttempts = 3;

Status check_user(std::string_view tenant, std::string_view user) {
  if (tenant.empty() || user.empty()) {
    return make_error(Errc::invalid_argument, "tenant and user must not be empty");
  }
  return {};
}

Result<TotpCredential> read_credential(const PgResult& r, int row) {
  TotpCredential c;
  c.id = r.int64(row, 0);
  c.tenant = r.text(row, 1);
  c.user = r.text(row, 2);
  const std::string state = r.text(row, 3);
  c.seed.encoded = r.text(row, 4);
  const auto alg = parse_hash_alg(r.text(row, 5));
  if ((state != "pending" && state != "active") || !alg) {
    return make_error(Errc::tampered, "postgres: a stored TOTP credential has an unknown value");
  }
  c.state = state == "active" ? CredentialState::active : CredentialState::pending;
  c.alg = *alg;
  c.digits = static_cast<int>(r.int64(row, 6));
  c.period = static_cast<int>(r.int64(row, 7));
  c.last_step = r.int64(row, 8);
  c.created_at = r.int64(row, 9);
  c.expires_at = r.int64(row, 10);
  return c;
}

ThrottleState read_throttle(const PgResult& r, int first_column) {
  ThrottleState t;
  t.failures = static_cast<int>(r.int64(0, first_column));
  t.not_before_ms = r.int64(0, first_column + 1);
  t.locked_until_ms = r.int64(0, first_column + 2);
  return t;
}

// A PostgreSQL text[] literal: every element quoted, with '"' and '\\' escaped.
std::string text_array(std::span<const std::string> items) {
  std::string out = "{";
  for (const auto& item : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : item) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

PushDevice read_device(const PgResult& r, int row) {
  return PushDevice{r.text(row, 0), r.text(row, 1), r.text(row, 2),
                    r.text(row, 3), r.text(row, 4), r.int64(row, 5)};
}

Result<PushChallenge> read_challenge(const PgResult& r, int row) {
  PushChallenge c;
  c.id = r.text(row, 0);
  c.tenant = r.text(row, 1);
  c.user = r.text(row, 2);
  c.origin = r.text(row, 3);
  c.ip = r.text(row, 4);
  c.user_agent = r.text(row, 5);
  c.nonce = r.text(row, 6);
  c.number = static_cast<int>(r.int64(row, 7));
  auto numbers = split_numbers(r.text(row, 8));
  if (!numbers) return std::move(numbers).error();
  c.numbers = std::move(numbers).value();
  c.created_at = r.int64(row, 9);
  c.expires_at = r.int64(row, 10);
  auto state = parse_challenge_state(r.text(row, 11));
  if (!state)
    return make_error(Errc::tampered, "postgres: a stored challenge has an unknown state");
  c.state = *state;
  c.method = r.text(row, 12);
  c.device_id = r.text(row, 13);
  return c;
}

class PostgresStore final : public Store {
 public:
  explicit PostgresStore(ConnectionSettings settings) : pool_(std::move(settings)) {}

  // Runs `work` on a pooled connection, again on a fresh one when the failure allows it.
  template <class Work>
  std::invoke_result_t<Work&, PgConnection&> on_connection(Work&& work) {
    for (int attempt = 1;; ++attempt) {
      auto lease = pool_.acquire();
      if (!lease) return std::move(lease).error();
      auto result = work(**lease);
      if (result || attempt == kAttempts || !(*lease)->failure_retryable()) return result;
    }
  }

  Status ping() override {
    return on_connection([&](PgConnection& conn) -> Status {
      HSM2FA_TRY(r, conn.run(Sql::ping, {}));
      return {};
    });
  }

  Result<std::vector<TotpCredential>> totp_credentials(std::string_view tenant,
                                                       std::string_view user) override {
    return on_connection([&](PgConnection& conn) -> Result<std::vector<TotpCredential>> {
      HSM2FA_TRY(r, conn.run(Sql::select_credentials, {tenant, user}));
      std::vector<TotpCredential> out;
      for (int row = 0; row < r->rows(); ++row) {
        HSM2FA_TRY(credential, read_credential(*r, row));
        out.push_back(std::move(credential).value());
      }
      return out;
    });
  }

  Result<std::vector<TotpCredential>> totp_credentials_after(std::int64_t after_id,
                                                             std::size_t limit) override {
    return on_connection([&](PgConnection& conn) -> Result<std::vector<TotpCredential>> {
      HSM2FA_TRY(
          r, conn.run(Sql::select_credentials_after, {after_id, static_cast<std::int64_t>(limit)}));
      std::vector<TotpCredential> out;
      for (int row = 0; row < r->rows(); ++row) {
        HSM2FA_TRY(credential, read_credential(*r, row));
        out.push_back(std::move(credential).value());
      }
      return out;
    });
  }

  Status import_totp_batch(std::span<const TotpCredential> credentials) override {
    for (std::size_t at = 0; at < credentials.size(); at += kImportBatchRows) {
      auto rows = credentials.subspan(at, std::min(kImportBatchRows, credentials.size() - at));
      HSM2FA_CHECK(on_connection([&](PgConnection& conn) { return insert_totp_rows(conn, rows); }));
    }
    return {};
  }

  Result<bool> replace_seed(std::int64_t credential_id, const SeedRef& expected,
                            const SeedRef& replacement) override {
    if (replacement.encoded.empty()) return make_error(Errc::invalid_argument, "empty seed ref");
    return on_connection([&](PgConnection& conn) -> Result<bool> {
      HSM2FA_TRY(
          r, conn.run(Sql::replace_seed, {credential_id, expected.encoded, replacement.encoded}));
      return r->affected() == 1;
    });
  }

  Result<PendingPut> put_pending_totp(const TotpCredential& pending) override {
    HSM2FA_CHECK(check_user(pending.tenant, pending.user));
    if (pending.state != CredentialState::pending || pending.seed.encoded.empty()) {
      return make_error(Errc::invalid_argument, "a new credential must be pending with a seed");
    }
    return on_connection([&](PgConnection& conn) -> Result<PendingPut> {
      HSM2FA_TRY(tx, Transaction::begin(conn));
      HSM2FA_TRY(locked, conn.run(Sql::lock_user, {pending.tenant, pending.user}));
      PendingPut put;
      HSM2FA_TRY(old, conn.run(Sql::delete_pending, {pending.tenant, pending.user}));
      if (old->rows() > 0) put.replaced = SeedRef{old->text(0, 0)};
      HSM2FA_TRY(ins, conn.run(Sql::insert_pending,
                               {pending.tenant, pending.user, pending.seed.encoded,
                                to_string(pending.alg), pending.digits, pending.period,
                                pending.last_step, pending.created_at, pending.expires_at}));
      if (ins->rows() != 1) return make_error(Errc::internal, "postgres: INSERT returned no id");
      put.id = ins->int64(0, 0);
      HSM2FA_CHECK(tx->commit());
      return put;
    });
  }

  Result<std::optional<SeedRef>> activate_totp(std::int64_t pending_id, const SeedRef& locked,
                                               std::int64_t accepted_step) override {
    if (locked.encoded.empty()) return make_error(Errc::invalid_argument, "empty seed ref");
    return on_connection([&](PgConnection& conn) -> Result<std::optional<SeedRef>> {
      HSM2FA_TRY(tx, Transaction::begin(conn));
      HSM2FA_TRY(owner, conn.run(Sql::pending_owner, {pending_id}));
      if (owner->rows() != 1) return no_pending();
      const std::string tenant = owner->text(0, 0);
      const std::string user = owner->text(0, 1);
      // User first, then the credential: the lock order every writer follows. A concurrent
      // enrollment may have replaced the pending credential before we got the user's lock.
      HSM2FA_TRY(user_lock, conn.run(Sql::lock_user, {tenant, user}));
      HSM2FA_TRY(still, conn.run(Sql::lock_pending, {pending_id}));
      if (still->rows() != 1) return no_pending();
      std::optional<SeedRef> previous;
      HSM2FA_TRY(old, conn.run(Sql::delete_active, {tenant, user}));
      if (old->rows() > 0) previous = SeedRef{old->text(0, 0)};
      HSM2FA_TRY(up, conn.run(Sql::activate, {locked.encoded, accepted_step, pending_id}));
      HSM2FA_CHECK(tx->commit());
      return previous;
    });
  }

  Result<std::vector<SeedRef>> delete_totp(std::string_view tenant,
                                           std::string_view user) override {
    return on_connection([&](PgConnection& conn) -> Result<std::vector<SeedRef>> {
      // One autocommit statement: the rows it returns are exactly the rows it deleted.
      HSM2FA_TRY(r, conn.run(Sql::delete_all, {tenant, user}));
      std::vector<std::pair<std::int64_t, std::string>> rows;
      for (int row = 0; row < r->rows(); ++row)
        rows.emplace_back(r->int64(row, 0), r->text(row, 1));
      std::sort(rows.begin(), rows.end());
      std::vector<SeedRef> seeds;
      for (auto& [id, ref] : rows) seeds.push_back(SeedRef{std::move(ref)});
      return seeds;
    });
  }

  Result<bool> accept_totp_step(std::int64_t credential_id, std::string_view tenant,
                                std::string_view user, std::int64_t step) override {
    return on_connection([&](PgConnection& conn) -> Result<bool> {
      HSM2FA_TRY(tx, Transaction::begin(conn));
      // The reset goes first so the user's row is locked before the credential's, as in every
      // other writer; if the step is lost the transaction rolls back and the reset with it.
      HSM2FA_TRY(reset, conn.run(Sql::clear_throttle, {tenant, user}));
      HSM2FA_TRY(cas, conn.run(Sql::accept_step, {step, credential_id, tenant, user}));
      if (cas->affected() == 1) {
        HSM2FA_CHECK(tx->commit());
        return true;
      }
      HSM2FA_TRY(exists, conn.run(Sql::credential_exists, {credential_id, tenant, user}));
      if (exists->rows() == 0) {
        return make_error(Errc::not_found, "no such TOTP credential for this user");
      }
      return false;  // the step or a later one was already accepted; rolls back the reset
    });
  }

  Result<UserState> user_state(std::string_view tenant, std::string_view user) override {
    return on_connection([&](PgConnection& conn) -> Result<UserState> {
      HSM2FA_TRY(r, conn.run(Sql::select_user, {tenant, user}));
      UserState state;
      if (r->rows() == 1) {
        state.two_factor_enabled = r->boolean(0, 0);
        state.disabled_reason = r->text(0, 1);
        state.disabled_until = r->int64(0, 2);
        state.throttle = read_throttle(*r, 3);
      }
      return state;
    });
  }

  Result<ThrottleState> record_failure(std::string_view tenant, std::string_view user,
                                       const ThrottlePolicy& policy, std::int64_t now_ms) override {
    HSM2FA_CHECK(check_user(tenant, user));
    return on_connection([&](PgConnection& conn) -> Result<ThrottleState> {
      HSM2FA_TRY(tx, Transaction::begin(conn));
      // The row stays locked until commit, so concurrent failures from any instance all count.
      HSM2FA_TRY(before, conn.run(Sql::lock_user, {tenant, user}));
      if (before->rows() != 1) return make_error(Errc::internal, "postgres: user row missing");
      const ThrottleState after = after_failure(read_throttle(*before, 0), policy, now_ms);
      HSM2FA_TRY(up, conn.run(Sql::store_throttle, {tenant, user, after.failures,
                                                    after.not_before_ms, after.locked_until_ms}));
      HSM2FA_CHECK(tx->commit());
      return after;
    });
  }

  Status reset_throttle(std::string_view tenant, std::string_view user) override {
    return on_connection([&](PgConnection& conn) -> Status {
      HSM2FA_TRY(r, conn.run(Sql::clear_throttle, {tenant, user}));
      return {};
    });
  }

  Status set_two_factor(std::string_view tenant, std::string_view user, bool enabled,
                        std::string_view reason, std::int64_t until) override {
    HSM2FA_CHECK(check_user(tenant, user));
    return on_connection([&](PgConnection& conn) -> Status {
      HSM2FA_TRY(r, conn.run(Sql::set_two_factor,
                             {tenant, user, enabled ? "true" : "false", reason, until}));
      return {};
    });
  }

  Status set_two_factor_many(std::string_view tenant, std::span<const std::string> users,
                             bool enabled, std::string_view reason, std::int64_t until) override {
    for (const auto& user : users) HSM2FA_CHECK(check_user(tenant, user));
    const std::string ids = text_array(users);
    return on_connection([&](PgConnection& conn) -> Status {
      HSM2FA_TRY(r, conn.run(Sql::set_two_factor_many,
                             {tenant, ids, enabled ? "true" : "false", reason, until}));
      return {};
    });
  }

  Result<std::optional<std::int64_t>> put_email_code(const EmailCode& code,
                                                     std::int64_t cooldown_s) override {
    HSM2FA_CHECK(check_user(code.tenant, code.user));
    if (code.mac.empty()) return make_error(Errc::invalid_argument, "an email code needs a MAC");
    return on_connection([&](PgConnection& conn) -> Result<std::optional<std::int64_t>> {
      HSM2FA_TRY(tx, Transaction::begin(conn));
      // The user's row lock serialises concurrent sends, so the cool-down holds under races.
      HSM2FA_TRY(locked, conn.run(Sql::lock_user, {code.tenant, code.user}));
      HSM2FA_TRY(old, conn.run(Sql::lock_email_code, {code.tenant, code.user}));
      if (old->rows() == 1 && old->int64(0, 0) + cooldown_s > code.issued_at) {
        return std::optional<std::int64_t>(old->int64(0, 0) + cooldown_s);
      }
      HSM2FA_TRY(up, conn.run(Sql::upsert_email_code,
                              {code.tenant, code.user, code.mac, code.issued_at, code.expires_at}));
      HSM2FA_CHECK(tx->commit());
      return std::optional<std::int64_t>();
    });
  }

  Result<std::optional<EmailCode>> email_code(std::string_view tenant,
                                              std::string_view user) override {
    return on_connection([&](PgConnection& conn) -> Result<std::optional<EmailCode>> {
      HSM2FA_TRY(r, conn.run(Sql::select_email_code, {tenant, user}));
      if (r->rows() != 1) return std::optional<EmailCode>();
      EmailCode code{std::string(tenant), std::string(user), r->text(0, 0),
                     r->int64(0, 1),      r->int64(0, 2),    static_cast<int>(r->int64(0, 3))};
      return std::optional<EmailCode>(std::move(code));
    });
  }

  Result<bool> take_email_code(std::string_view tenant, std::string_view user,
                               std::string_view mac) override {
    return on_connection([&](PgConnection& conn) -> Result<bool> {
      HSM2FA_TRY(tx, Transaction::begin(conn));
      HSM2FA_TRY(reset, conn.run(Sql::clear_throttle, {tenant, user}));
      HSM2FA_TRY(taken, conn.run(Sql::take_email_code, {tenant, user, mac}));
      if (taken->rows() != 1) return false;  // rolls back the reset
      HSM2FA_CHECK(tx->commit());
      return true;
    });
  }

  Result<int> count_email_attempt(std::string_view tenant, std::string_view user,
                                  std::string_view mac, int max_attempts) override {
    return on_connection([&](PgConnection& conn) -> Result<int> {
      HSM2FA_TRY(tx, Transaction::begin(conn));
      HSM2FA_TRY(r, conn.run(Sql::count_email_attempt, {tenant, user, mac}));
      if (r->rows() != 1) return 0;
      const int attempts = static_cast<int>(r->int64(0, 0));
      if (attempts >= max_attempts) {
        HSM2FA_TRY(spent, conn.run(Sql::delete_email_code, {tenant, user, mac}));
      }
      HSM2FA_CHECK(tx->commit());
      return attempts;
    });
  }

  Status delete_email_code(std::string_view tenant, std::string_view user,
                           std::string_view mac) override {
    return on_connection([&](PgConnection& conn) -> Status {
      HSM2FA_TRY(r, conn.run(Sql::delete_email_code, {tenant, user, mac}));
      return {};
    });
  }

  Status add_device(const PushDevice& d) override {
    HSM2FA_CHECK(check_user(d.tenant, d.user));
    if (d.id.empty()) return make_error(Errc::invalid_argument, "a device needs an id");
    return on_connection([&](PgConnection& conn) -> Status {
      HSM2FA_TRY(r, conn.run(Sql::add_device,
                             {d.id, d.tenant, d.user, d.name, d.public_key_pem, d.created_at}));
      if (r->affected() != 1) return make_error(Errc::conflict, "a device with that id exists");
      return {};
    });
  }

  Result<std::vector<PushDevice>> devices(std::string_view tenant, std::string_view user) override {
    return on_connection([&](PgConnection& conn) -> Result<std::vector<PushDevice>> {
      HSM2FA_TRY(r, conn.run(Sql::select_devices, {tenant, user}));
      std::vector<PushDevice> out;
      for (int row = 0; row < r->rows(); ++row) out.push_back(read_device(*r, row));
      return out;
    });
  }

  Result<std::optional<PushDevice>> device(std::string_view id) override {
    return on_connection([&](PgConnection& conn) -> Result<std::optional<PushDevice>> {
      HSM2FA_TRY(r, conn.run(Sql::select_device, {id}));
      if (r->rows() != 1) return std::optional<PushDevice>();
      return std::optional<PushDevice>(read_device(*r, 0));
    });
  }

  Result<bool> delete_device(std::string_view tenant, std::string_view user,
                             std::string_view id) override {
    return on_connection([&](PgConnection& conn) -> Result<bool> {
      HSM2FA_TRY(r, conn.run(Sql::delete_device, {id, tenant, user}));
      return r->affected() == 1;
    });
  }

  Result<std::optional<std::int64_t>> add_challenge(const PushChallenge& c, int max_recent,
                                                    std::int64_t recent_since,
                                                    std::int64_t window_s) override {
    HSM2FA_CHECK(check_user(c.tenant, c.user));
    if (c.id.empty()) return make_error(Errc::invalid_argument, "a challenge needs an id");
    const std::string numbers = join_numbers(c.numbers);
    return on_connection([&](PgConnection& conn) -> Result<std::optional<std::int64_t>> {
      HSM2FA_TRY(tx, Transaction::begin(conn));
      // The user's row lock makes count-then-insert atomic across instances.
      HSM2FA_TRY(locked, conn.run(Sql::lock_user, {c.tenant, c.user}));
      HSM2FA_TRY(recent, conn.run(Sql::recent_challenges, {c.tenant, c.user, recent_since}));
      if (recent->rows() == 1 && recent->int64(0, 0) >= max_recent) {
        return std::optional<std::int64_t>(recent->int64(0, 1) + window_s);
      }
      HSM2FA_TRY(ins, conn.run(Sql::add_challenge,
                               {c.id, c.tenant, c.user, c.origin, c.ip, c.user_agent, c.nonce,
                                c.number, numbers, c.created_at, c.expires_at}));
      HSM2FA_CHECK(tx->commit());
      return std::optional<std::int64_t>();
    });
  }

  Result<std::optional<PushChallenge>> challenge(std::string_view id) override {
    return on_connection([&](PgConnection& conn) -> Result<std::optional<PushChallenge>> {
      HSM2FA_TRY(r, conn.run(Sql::select_challenge, {id}));
      if (r->rows() != 1) return std::optional<PushChallenge>();
      HSM2FA_TRY(c, read_challenge(*r, 0));
      return std::optional<PushChallenge>(std::move(c).value());
    });
  }

  Result<std::vector<PushChallenge>> pending_challenges(std::string_view tenant,
                                                        std::string_view user,
                                                        std::int64_t now) override {
    return on_connection([&](PgConnection& conn) -> Result<std::vector<PushChallenge>> {
      HSM2FA_TRY(r, conn.run(Sql::pending_challenges, {tenant, user, now}));
      std::vector<PushChallenge> out;
      for (int row = 0; row < r->rows(); ++row) {
        HSM2FA_TRY(c, read_challenge(*r, row));
        out.push_back(std::move(c).value());
      }
      return out;
    });
  }

  Result<bool> answer_challenge(std::string_view id, ChallengeState state, std::string_view method,
                                std::string_view device_id, std::int64_t now) override {
    if (state == ChallengeState::pending) {
      return make_error(Errc::invalid_argument, "an answer approves or denies");
    }
    return on_connection([&](PgConnection& conn) -> Result<bool> {
      HSM2FA_TRY(r, conn.run(Sql::answer_challenge,
                             {id, challenge_state_name(state), method, device_id, now}));
      return r->affected() == 1;
    });
  }

  Status migrate_schema() {
    return on_connection(
        [&](PgConnection& conn) -> Status { return migrate(conn, schema_migrations()); });
  }

 private:
  static Error no_pending() {
    return make_error(Errc::conflict, "no pending TOTP credential with that id");
  }

  ConnectionPool pool_;
};

#undef HSM2FA_TRY
#undef HSM2FA_CHECK

}  // namespace

Result<std::shared_ptr<Store>> open_postgres_store(std::string_view url) {
  auto settings = parse_connection_url(url);
  if (!settings) return std::move(settings).error();
  auto store = std::make_shared<PostgresStore>(std::move(settings).value());
  if (auto migrated = store->migrate_schema(); !migrated) return std::move(migrated).error();
  return std::shared_ptr<Store>(std::move(store));
}

}  // namespace hsm2fa::store::postgres
