#include "oracle_output.hpp"

namespace hsm2fa::otp {

Status check_oracle_output(const HmacOracle& oracle, const std::vector<Mac>& macs,
                           std::size_t expected) {
  if (macs.size() != expected) {
    return make_error(Errc::internal, "HMAC oracle returned the wrong number of MACs");
  }
  const std::size_t size = digest_size(oracle.algorithm());
  for (const Mac& mac : macs) {
    if (mac.size != size) return make_error(Errc::internal, "HMAC oracle returned a short MAC");
  }
  return {};
}

void write_code(std::uint32_t value, int digits, char* out) noexcept {
  for (int i = digits - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace hsm2fa::otp
