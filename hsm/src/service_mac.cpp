#include "hsm2fa/hsm/token.hpp"
#include "token_impl.hpp"
#include "token_ops.hpp"

namespace hsm2fa::hsm {

Result<Mac> service_mac(Token& token, std::string_view purpose,
                        std::span<const std::uint8_t> data) {
  // Reserved: a caller able to MAC under it could forge wrapped seed refs.
  if (purpose == "seed-ref") {
    return make_error(Errc::invalid_argument, "service MAC purpose 'seed-ref' is reserved");
  }
  auto* impl = dynamic_cast<TokenImpl*>(&token);
  if (impl == nullptr) return make_error(Errc::internal, "service_mac: not a PKCS#11 token");
  auto key = impl->key(mac_key_label(impl->config().key_prefix));
  if (!key) return std::move(key).error();
  auto lease = impl->lease();
  if (!lease) return std::move(lease).error();
  return purpose_mac(*lease, *key, purpose, data);
}

}  // namespace hsm2fa::hsm
