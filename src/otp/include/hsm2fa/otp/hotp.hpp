// HOTP (RFC 4226) and the TOTP time step (RFC 6238): the code of a counter, from a MAC computed
// by an HmacOracle. Truncation happens here, outside the token, on the MAC only.
#pragma once

#include <cstdint>
#include <string>

#include "hsm2fa/hmac_oracle.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::otp {

// Code lengths this core computes: RFC 4226 allows 6 to 8; the API narrows to 6 or 8.
inline constexpr int kMinDigits = 6;
inline constexpr int kMaxDigits = 8;
constexpr bool valid_digits(int digits) noexcept {
  return digits >= kMinDigits && digits <= kMaxDigits;
}

// RFC 4226 5.3 dynamic truncation to 31 bits. Precondition: mac.size >= 20 (every HashAlg);
// shorter MACs yield 0, and the callers below refuse them before getting here.
std::uint32_t dynamic_truncate(const Mac& mac) noexcept;

// The low `digits` decimal digits of `value`, zero-padded. Precondition: valid_digits(digits).
std::string format_code(std::uint32_t value, int digits);

// HOTP(seed, counter) with the oracle's seed. invalid_argument for unsupported digits; the
// oracle's error as is; internal if the oracle returns a MAC of the wrong size.
Result<std::string> hotp(HmacOracle& oracle, std::uint64_t counter, int digits);

// floor(unix_seconds / period) with T0 = 0, in 64 bits (valid past 2038 and 2106).
// Times before the epoch map to step 0. Precondition: period > 0 (0 is returned otherwise).
std::uint64_t totp_step(std::int64_t unix_seconds, int period) noexcept;

}  // namespace hsm2fa::otp
