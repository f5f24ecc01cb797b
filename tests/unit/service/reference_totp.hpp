// RFC 6238 codes computed from a pairing code the way an authenticator app would, independently
// of the otp module, so the service is checked against what a phone will actually show.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hsm2fa/hmac_oracle.hpp"

namespace hsm2fa::testing {

// The code for time step `step` of the base32 (unpadded, upper case) secret.
std::string reference_code(std::string_view secret_base32, HashAlg alg, int digits,
                           std::int64_t step);

}  // namespace hsm2fa::testing
