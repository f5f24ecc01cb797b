// Start-up under kek_rotation = "trusted": which module this is, and the active KEK's custody
// read back from the token before any seed is sealed under it.
#pragma once

#include <memory>

#include "kek_ring.hpp"
#include "token_impl.hpp"

namespace hsm2fa::hsm {

// SoftHSM2, by CK_TOKEN_INFO manufacturer or model: its SO can make only public objects.
Result<bool> token_is_softhsm(TokenImpl& token);

// Refuses "trusted" on SoftHSM2 without allow_public_kek; finds the newest kek-N and checks it
// as kek-1 (made by the user) or as a trusted KEK (made by the SO: private, or public only on
// SoftHSM2 with allow_public_kek), with the rotatable unwrap template. Errc::config naming the
// key and what is wrong.
Result<std::shared_ptr<KekRing>> open_kek_ring(TokenImpl& token, const TokenConfig& config,
                                               CK_MECHANISM_TYPE wrap);

// The token must enforce CKA_WRAP_WITH_TRUSTED, or "trusted" would let any user-PIN holder wrap
// active seeds out: an active test seed made through `vault` is unwrapped under its KEK's
// template and wrapped under a session key of our own, which must be refused. Errc::config if
// the token allows it.
Status check_trusted_wrap_enforced(TokenImpl& token, SeedVault& vault);

}  // namespace hsm2fa::hsm
