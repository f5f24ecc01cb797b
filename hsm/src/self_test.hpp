// Wrapped mode's start-up self-test: proves the configured wrap mechanism, the KEKs' unwrap
// templates and in-token HMAC behave as the custody model requires before any request is served.
#pragma once

#include "hsm2fa/seed_vault.hpp"
#include "token_impl.hpp"

namespace hsm2fa::hsm {

// Errc::config naming what failed. Leaves nothing behind in the token.
Status self_test_wrapped(TokenImpl& token, SeedVault& vault, CK_MECHANISM_TYPE wrap);

}  // namespace hsm2fa::hsm
