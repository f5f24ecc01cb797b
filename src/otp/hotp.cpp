#include "hsm2fa/otp/hotp.hpp"

#include <array>

#include "hsm2fa/secret.hpp"
#include "oracle_output.hpp"

namespace hsm2fa::otp {

std::uint32_t dynamic_truncate(const Mac& mac) noexcept {
  if (mac.size < 20 || mac.size > mac.bytes.size()) return 0;
  const std::size_t offset = mac.bytes[mac.size - 1] & 0x0fu;  // at most 15: offset + 3 < 20
  return (static_cast<std::uint32_t>(mac.bytes[offset] & 0x7fu) << 24) |
         (static_cast<std::uint32_t>(mac.bytes[offset + 1]) << 16) |
         (static_cast<std::uint32_t>(mac.bytes[offset + 2]) << 8) |
         static_cast<std::uint32_t>(mac.bytes[offset + 3]);
}

std::string format_code(std::uint32_t value, int digits) {
  if (!valid_digits(digits)) return {};
  std::string code(static_cast<std::size_t>(digits), '0');
  write_code(value, digits, code.data());
  return code;
}

Result<std::string> hotp(HmacOracle& oracle, std::uint64_t counter, int digits) {
  if (!valid_digits(digits)) return make_error(Errc::invalid_argument, "digits must be 6 to 8");
  const std::array<std::uint64_t, 1> counters{counter};
  auto macs = oracle.mac_counters(counters);
  if (!macs) return std::move(macs).error();
  if (auto ok = check_oracle_output(oracle, *macs, counters.size()); !ok) {
    return std::move(ok).error();
  }
  std::string code = format_code(dynamic_truncate(macs->front()), digits);
  secure_wipe(macs->front().bytes.data(), macs->front().bytes.size());
  return code;
}

std::uint64_t totp_step(std::int64_t unix_seconds, int period) noexcept {
  if (period <= 0 || unix_seconds <= 0) return 0;
  return static_cast<std::uint64_t>(unix_seconds) / static_cast<std::uint64_t>(period);
}

}  // namespace hsm2fa::otp
