// Single token operations on a leased session, shared by the vaults and service_mac.
#pragma once

#include <cstdint>
#include <span>

#include "attributes.hpp"
#include "hsm2fa/hmac_oracle.hpp"
#include "session_pool.hpp"

namespace hsm2fa::hsm {

// C_SignInit + C_Sign with an HMAC mechanism.
Result<Mac> sign_mac(SessionPool::Lease& lease, CK_MECHANISM_TYPE mechanism, CK_OBJECT_HANDLE key,
                     std::span<const std::uint8_t> data);

// HMAC-SHA256 under the service MAC key over purpose || 0x00 || data (see service_mac).
Result<Mac> purpose_mac(SessionPool::Lease& lease, CK_OBJECT_HANDLE mac_key,
                        std::string_view purpose, std::span<const std::uint8_t> data);

// C_WrapKey of `key` under `kek`.
Result<std::vector<std::uint8_t>> wrap_key(SessionPool::Lease& lease, CK_MECHANISM_TYPE mechanism,
                                           CK_OBJECT_HANDLE kek, CK_OBJECT_HANDLE key);

// C_UnwrapKey into a session object owned by the result (destroyed when it goes).
Result<SessionObject> unwrap_key(SessionPool::Lease& lease, CK_MECHANISM_TYPE mechanism,
                                 CK_OBJECT_HANDLE kek, std::span<const std::uint8_t> wrapped,
                                 Template& attributes);

// Fresh random bytes from the token's RNG.
Status random_bytes(SessionPool::Lease& lease, std::span<std::uint8_t> out);

}  // namespace hsm2fa::hsm
