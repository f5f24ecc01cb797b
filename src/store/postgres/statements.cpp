#include "statements.hpp"

#include <array>

namespace hsm2fa::store::postgres {
namespace {

// Indexed by Sql. Parameters are sent as text and cast by the server to the column types.
constexpr std::array<Statement, kStatementCount> kStatements{{
    {"hsm2fa_ping", "SELECT count(*) FROM schema_version"},
    {"hsm2fa_select_credentials",
     "SELECT id, tenant, user_id, state, seed_ref, alg, digits, period, last_step, created_at,"
     " expires_at FROM totp_credentials WHERE tenant = $1 AND user_id = $2 ORDER BY id"},
    {"hsm2fa_select_credentials_after",
     "SELECT id, tenant, user_id, state, seed_ref, alg, digits, period, last_step, created_at,"
     " expires_at FROM totp_credentials WHERE id > $1 ORDER BY id LIMIT $2"},
    // Creates the user's row if needed and locks it until the transaction ends: every write
    // that reads before it writes a user's state takes this lock first, so they serialise per
    // user and always lock the user before the user's credentials (no lock-order deadlocks).
    {"hsm2fa_lock_user",
     "INSERT INTO users (tenant, user_id) VALUES ($1, $2) ON CONFLICT (tenant, user_id)"
     " DO UPDATE SET failures = users.failures"
     " RETURNING failures, not_before_ms, locked_until_ms"},
    {"hsm2fa_delete_pending",
     "DELETE FROM totp_credentials WHERE tenant = $1 AND user_id = $2 AND state = 'pending'"
     " RETURNING seed_ref"},
    {"hsm2fa_insert_pending",
     "INSERT INTO totp_credentials (tenant, user_id, state, seed_ref, alg, digits, period,"
     " last_step, created_at, expires_at) VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $9)"
     " RETURNING id"},
    {"hsm2fa_pending_owner",
     "SELECT tenant, user_id FROM totp_credentials WHERE id = $1 AND state = 'pending'"},
    {"hsm2fa_lock_pending",
     "SELECT 1 FROM totp_credentials WHERE id = $1 AND state = 'pending' FOR UPDATE"},
    {"hsm2fa_delete_active",
     "DELETE FROM totp_credentials WHERE tenant = $1 AND user_id = $2 AND state = 'active'"
     " RETURNING seed_ref"},
    {"hsm2fa_activate",
     "UPDATE totp_credentials SET state = 'active', seed_ref = $1,"
     " last_step = GREATEST(last_step, $2), expires_at = 0 WHERE id = $3"},
    {"hsm2fa_delete_all",
     "DELETE FROM totp_credentials WHERE tenant = $1 AND user_id = $2 RETURNING id, seed_ref"},
    {"hsm2fa_clear_throttle",
     "UPDATE users SET failures = 0, not_before_ms = 0, locked_until_ms = 0"
     " WHERE tenant = $1 AND user_id = $2"},
    // The replay guard's compare-and-set: one row changed means this call won the step.
    {"hsm2fa_accept_step",
     "UPDATE totp_credentials SET last_step = $1"
     " WHERE id = $2 AND tenant = $3 AND user_id = $4 AND last_step < $1"},
    {"hsm2fa_credential_exists",
     "SELECT 1 FROM totp_credentials WHERE id = $1 AND tenant = $2 AND user_id = $3"},
    {"hsm2fa_select_user",
     "SELECT two_factor_enabled, disabled_reason, disabled_until, failures, not_before_ms,"
     " locked_until_ms FROM users WHERE tenant = $1 AND user_id = $2"},
    {"hsm2fa_store_throttle",
     "UPDATE users SET failures = $3, not_before_ms = $4, locked_until_ms = $5"
     " WHERE tenant = $1 AND user_id = $2"},
    {"hsm2fa_set_two_factor",
     "INSERT INTO users (tenant, user_id, two_factor_enabled, disabled_reason, disabled_until)"
     " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant, user_id) DO UPDATE SET"
     " two_factor_enabled = excluded.two_factor_enabled,"
     " disabled_reason = excluded.disabled_reason, disabled_until = excluded.disabled_until"},
    // $2 is a text[] literal of user ids: one statement (and one commit) for a whole batch.
    {"hsm2fa_set_two_factor_many",
     "INSERT INTO users (tenant, user_id, two_factor_enabled, disabled_reason, disabled_until)"
     " SELECT $1, u, $3, $4, $5 FROM unnest($2::text[]) AS u"
     " ON CONFLICT (tenant, user_id) DO UPDATE SET"
     " two_factor_enabled = excluded.two_factor_enabled,"
     " disabled_reason = excluded.disabled_reason, disabled_until = excluded.disabled_until"},
    {"hsm2fa_lock_email_code",
     "SELECT issued_at FROM email_codes WHERE tenant = $1 AND user_id = $2 FOR UPDATE"},
    {"hsm2fa_upsert_email_code",
     "INSERT INTO email_codes (tenant, user_id, mac, issued_at, expires_at, attempts)"
     " VALUES ($1, $2, $3, $4, $5, 0) ON CONFLICT (tenant, user_id) DO UPDATE SET"
     " mac = excluded.mac, issued_at = excluded.issued_at, expires_at = excluded.expires_at,"
     " attempts = 0"},
    {"hsm2fa_select_email_code",
     "SELECT mac, issued_at, expires_at, attempts FROM email_codes"
     " WHERE tenant = $1 AND user_id = $2"},
    {"hsm2fa_take_email_code",
     "DELETE FROM email_codes WHERE tenant = $1 AND user_id = $2 AND mac = $3 RETURNING 1"},
    {"hsm2fa_count_email_attempt",
     "UPDATE email_codes SET attempts = attempts + 1"
     " WHERE tenant = $1 AND user_id = $2 AND mac = $3 RETURNING attempts"},
    {"hsm2fa_delete_email_code",
     "DELETE FROM email_codes WHERE tenant = $1 AND user_id = $2 AND mac = $3"},
    {"hsm2fa_add_device",
     "INSERT INTO push_devices (id, tenant, user_id, name, public_key, created_at)"
     " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING"},
    {"hsm2fa_select_devices",
     "SELECT id, tenant, user_id, name, public_key, created_at FROM push_devices"
     " WHERE tenant = $1 AND user_id = $2 ORDER BY created_at, id"},
    {"hsm2fa_select_device",
     "SELECT id, tenant, user_id, name, public_key, created_at FROM push_devices WHERE id = $1"},
    {"hsm2fa_delete_device",
     "DELETE FROM push_devices WHERE id = $1 AND tenant = $2 AND user_id = $3"},
    {"hsm2fa_recent_challenges",
     "SELECT count(*), coalesce(min(created_at), 0) FROM push_challenges"
     " WHERE tenant = $1 AND user_id = $2 AND created_at >= $3"},
    {"hsm2fa_add_challenge",
     "INSERT INTO push_challenges (id, tenant, user_id, origin, ip, user_agent, nonce, number,"
     " numbers, created_at, expires_at, state)"
     " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending')"},
    {"hsm2fa_select_challenge",
     "SELECT id, tenant, user_id, origin, ip, user_agent, nonce, number, numbers, created_at,"
     " expires_at, state, method, device_id FROM push_challenges WHERE id = $1"},
    {"hsm2fa_pending_challenges",
     "SELECT id, tenant, user_id, origin, ip, user_agent, nonce, number, numbers, created_at,"
     " expires_at, state, method, device_id FROM push_challenges"
     " WHERE tenant = $1 AND user_id = $2 AND state = 'pending' AND expires_at > $3"
     " ORDER BY created_at, id"},
    // The single answer: a compare-and-set on the state.
    {"hsm2fa_answer_challenge",
     "UPDATE push_challenges SET state = $2, method = $3, device_id = $4"
     " WHERE id = $1 AND state = 'pending' AND expires_at > $5"},
    // KEK rotation's compare-and-set: the new blob only over the exact old one.
    {"hsm2fa_replace_seed",
     "UPDATE totp_credentials SET seed_ref = $3 WHERE id = $1 AND seed_ref = $2"},
}};

}  // namespace

const Statement& statement(Sql sql) noexcept { return kStatements[static_cast<std::size_t>(sql)]; }

}  // namespace hsm2fa::store::postgres
