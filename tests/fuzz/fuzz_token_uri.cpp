// The RFC 7512 token selector from the configuration, on arbitrary text. Contract checked
// (hsm/src/token_uri.hpp): parsing never crashes, and an accepted URI matches the token that has
// exactly the attributes it names.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "token_uri.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hsm2fa::hsm;
  auto uri = parse_token_uri(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!uri.ok()) return 0;
  TokenIdentity identity;
  identity.slot_id = uri->slot_id.value_or(0);
  identity.token = uri->token.value_or("");
  identity.serial = uri->serial.value_or("");
  identity.manufacturer = uri->manufacturer.value_or("");
  identity.model = uri->model.value_or("");
  if (!matches(*uri, identity)) std::abort();
  return 0;
}
