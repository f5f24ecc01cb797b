#include <cstring>

#include "hsm2fa/hsm/token.hpp"
#include "token_impl.hpp"

namespace hsm2fa::hsm {

Status random_bytes(Token& token, std::span<std::uint8_t> out) {
  if (out.empty()) return {};
  auto* impl = dynamic_cast<TokenImpl*>(&token);
  if (impl == nullptr) return make_error(Errc::internal, "random_bytes: not a PKCS#11 token");
  // Filled into a buffer the job owns: a late answer must not write into the caller's `out`.
  auto drawn = impl->gate().run<SecretBytes>("random bytes", [self = impl->shared_from_this(),
                                                              size = out.size()] {
    return self->with_session_retry([&](SessionPool::Lease& lease) -> Result<SecretBytes> {
      SecretBytes bytes(size);
      auto status = lease.call(HSM2FA_P11(C_GenerateRandom), bytes.data(), CK_ULONG(bytes.size()));
      if (!status) return std::move(status).error();
      return bytes;
    });
  });
  // Nothing half-filled is usable: on failure the caller must not see partial randomness.
  if (!drawn) {
    std::memset(out.data(), 0, out.size());
    return std::move(drawn).error();
  }
  std::memcpy(out.data(), drawn->data(), out.size());
  return {};
}

}  // namespace hsm2fa::hsm
