// Private to hsm2fa_otp: what hotp() and matching_steps() share about an oracle's answer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "hsm2fa/hmac_oracle.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::otp {

// internal unless the oracle returned `expected` MACs of its algorithm's digest size: a short
// MAC must never be truncated into a code.
Status check_oracle_output(const HmacOracle& oracle, const std::vector<Mac>& macs,
                           std::size_t expected);

// Writes the `digits` low decimal digits of `value`, zero-padded, into out[0..digits).
void write_code(std::uint32_t value, int digits, char* out) noexcept;

}  // namespace hsm2fa::otp
