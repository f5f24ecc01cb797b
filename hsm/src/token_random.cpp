#include <cstring>

#include "hsm2fa/hsm/token.hpp"
#include "token_impl.hpp"

namespace hsm2fa::hsm {

Status random_bytes(Token& token, std::span<std::uint8_t> out) {
  if (out.empty()) return {};
  auto* impl = dynamic_cast<TokenImpl*>(&token);
  if (impl == nullptr) return make_error(Errc::internal, "random_bytes: not a PKCS#11 token");
  auto lease = impl->lease();
  if (!lease) return std::move(lease).error();
  auto status = lease->call(HSM2FA_P11(C_GenerateRandom), out.data(), CK_ULONG(out.size()));
  // Nothing half-filled is usable: on failure the caller must not see partial randomness.
  if (!status) std::memset(out.data(), 0, out.size());
  return status;
}

}  // namespace hsm2fa::hsm
