// Start-up check of the provisioned keys: every security attribute read back from the token.
#pragma once

#include "key_specs.hpp"
#include "token_impl.hpp"

namespace hsm2fa::hsm {

// The handle of `spec`'s key, or Errc::config naming the key and the first attribute that
// differs ("key hsm2fa-kek-1: CKA_EXTRACTABLE is TRUE, expected FALSE") or that it is missing.
Result<CK_OBJECT_HANDLE> checked_key(TokenImpl& token, const KeySpec& spec);

}  // namespace hsm2fa::hsm
