// Row <-> struct mapping of the SQLite tables, shared by the store's read and write paths.
#pragma once

#include <string_view>

#include "connection.hpp"
#include "hsm2fa/store.hpp"
#include "hsm2fa/throttle.hpp"

namespace hsm2fa::store::sqlite {

// Column lists in the order the readers below expect them.
inline constexpr std::string_view kCredentialColumns =
    "id, tenant, user_id, state, seed_ref, alg, digits, period, last_step, created_at, "
    "expires_at";
inline constexpr std::string_view kDeviceColumns =
    "id, tenant, user_id, name, public_key, created_at";
inline constexpr std::string_view kChallengeColumns =
    "id, tenant, user_id, origin, ip, user_agent, nonce, number, numbers, created_at, expires_at,"
    " state, method, device_id";

// tampered for a value this build does not know (the row was edited outside hsm2fa).
Result<TotpCredential> read_credential(const Query& q);
PushDevice read_device(const Query& q);
Result<PushChallenge> read_challenge(const Query& q);
// failures, not_before_ms, locked_until_ms from `first_column` on.
ThrottleState read_throttle(const Query& q, int first_column);

}  // namespace hsm2fa::store::sqlite
