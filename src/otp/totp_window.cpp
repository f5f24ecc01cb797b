#include "hsm2fa/otp/totp_window.hpp"

#include <openssl/crypto.h>

#include <array>
#include <limits>

#include "hsm2fa/otp/hotp.hpp"
#include "hsm2fa/secret.hpp"
#include "oracle_output.hpp"

namespace hsm2fa::otp {

std::optional<std::string> canonical_code(std::string_view code, int digits) {
  if (!valid_digits(digits) || code.size() != static_cast<std::size_t>(digits)) {
    return std::nullopt;
  }
  for (char c : code) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return std::string(code);
}

Result<std::vector<std::uint64_t>> matching_steps(HmacOracle& oracle, std::string_view canonical,
                                                  std::uint64_t current_step, int window,
                                                  int digits) {
  if (!canonical_code(canonical, digits)) {
    return make_error(Errc::invalid_argument, "code is not the configured number of digits");
  }
  if (window < 0 || window > kMaxWindow) {
    return make_error(Errc::invalid_argument, "window out of range");
  }
  const auto w = static_cast<std::uint64_t>(window);
  constexpr auto kMaxStep = std::numeric_limits<std::uint64_t>::max();
  const std::uint64_t first = current_step >= w ? current_step - w : 0;
  const std::uint64_t last = current_step > kMaxStep - w ? kMaxStep : current_step + w;
  std::vector<std::uint64_t> counters;
  counters.reserve(2 * w + 1);
  for (std::uint64_t step = first;; ++step) {
    counters.push_back(step);
    if (step == last) break;
  }

  auto macs = oracle.mac_counters(counters);
  if (!macs) return std::move(macs).error();
  if (auto ok = check_oracle_output(oracle, *macs, counters.size()); !ok) {
    return std::move(ok).error();
  }

  // Every candidate is formatted and compared; a match only decides whether its step is kept.
  std::vector<std::uint64_t> matches;
  std::array<char, kMaxDigits> candidate{};
  const auto n = static_cast<std::size_t>(digits);
  for (std::size_t i = 0; i < counters.size(); ++i) {
    write_code(dynamic_truncate((*macs)[i]), digits, candidate.data());
    const bool equal = CRYPTO_memcmp(candidate.data(), canonical.data(), n) == 0;
    if (equal) matches.push_back(counters[i]);
  }
  secure_wipe(candidate.data(), candidate.size());
  for (Mac& mac : *macs) secure_wipe(mac.bytes.data(), mac.bytes.size());
  return matches;
}

}  // namespace hsm2fa::otp
