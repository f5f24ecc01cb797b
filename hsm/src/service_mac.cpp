#include "hsm2fa/hsm/token.hpp"
#include "token_impl.hpp"
#include "token_ops.hpp"

namespace hsm2fa::hsm {
namespace {

// As TokenImpl::with_session_retry, with the key found again under each lease: a re-login between
// the attempts makes a found handle stale.
Result<Mac> mac_with_retry(TokenImpl& token, std::string_view purpose,
                           std::span<const std::uint8_t> data) {
  for (int attempt = 1;; ++attempt) {
    if (auto status = token.recover_if_suspect(); !status) return std::move(status).error();
    auto lease = token.lease();
    if (!lease) return std::move(lease).error();
    auto key = token.key(mac_key_label(token.config().key_prefix), &lease->session());
    if (!key) return std::move(key).error();
    auto mac = purpose_mac(*lease, *key, purpose, data);
    if (mac || attempt == 2 || !loses_session(lease->last_error())) return mac;
  }
}

}  // namespace

Result<Mac> service_mac(Token& token, std::string_view purpose,
                        std::span<const std::uint8_t> data) {
  // Reserved: a caller able to MAC under it could forge wrapped seed refs.
  if (purpose == "seed-ref") {
    return make_error(Errc::invalid_argument, "service MAC purpose 'seed-ref' is reserved");
  }
  auto* impl = dynamic_cast<TokenImpl*>(&token);
  if (impl == nullptr) return make_error(Errc::internal, "service_mac: not a PKCS#11 token");
  return impl->gate().run<Mac>("service MAC",
                               [self = impl->shared_from_this(), purpose = std::string(purpose),
                                data = std::make_shared<const SecretBytes>(data)] {
                                 // The data may be an email code: kept in wiped memory while the
                                 // job holds it.
                                 return mac_with_retry(*self, purpose, data->span());
                               });
}

}  // namespace hsm2fa::hsm
