// Code canonicalisation and the verification window (DESIGN.md "Verification rules").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hsm2fa/hmac_oracle.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::otp {

// The most steps accepted on either side of the current one. Each costs a token HMAC and widens
// what a guesser may hit, so larger windows are refused rather than silently computed.
inline constexpr int kMaxWindow = 10;

// `code` if it is exactly `digits` ASCII '0'-'9' characters (and digits is valid), else nullopt.
// Nothing is trimmed or converted: spaces, signs, other scripts' digits (fullwidth, Arabic-Indic)
// are refusals, so every accepted input has exactly one spelling.
std::optional<std::string> canonical_code(std::string_view code, int digits);

// Every step in [current_step - window, current_step + window] (clamped to [0, 2^64 - 1]) whose
// code equals `canonical`, ascending. All candidates are computed in ONE mac_counters call and
// every one is compared in constant time with no early exit, so the work done does not depend
// on where (or whether) the code matches.
// Errors: invalid_argument (code not canonical for `digits`, window outside [0, kMaxWindow]),
// the oracle's error as is, internal if the oracle breaks its contract.
Result<std::vector<std::uint64_t>> matching_steps(HmacOracle& oracle, std::string_view canonical,
                                                  std::uint64_t current_step, int window,
                                                  int digits);

}  // namespace hsm2fa::otp
