// The token side of online KEK rotation (wrapped mode, kek_rotation = "trusted";
// hsm/README-rotation.md): the security officer's ceremony that makes the next KEK, the
// destruction of a retired one, and the vault's re-wrapping seam for the daemon.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hsm2fa/hsm/token.hpp"
#include "hsm2fa/result.hpp"
#include "hsm2fa/secret.hpp"
#include "hsm2fa/seed_rewrapper.hpp"
#include "hsm2fa/seed_vault.hpp"

namespace hsm2fa::hsm {

struct KekListing {
  std::vector<std::string> names;  // "kek-1", "kek-2", ... ascending; the last one is active
  bool softhsm = false;            // SoftHSM2: trusted KEKs can only be public objects
};
// Every "<prefix>-kek-N" visible to the user login. Errors: hsm_unavailable, hsm_error.
Result<KekListing> list_keks(Token& token, const TokenConfig& config);

// The SO ceremony: logs in as the security officer on the configured token (no user login may
// be open in this process: close every Token first) and generates kek-<number> with
// CKA_TRUSTED, CKA_WRAP/UNWRAP, sensitive, non-extractable, and the rotatable unwrap template.
// `public_object` (SoftHSM2 with allow_public_kek only): CKA_PRIVATE = FALSE. Returns its label.
// Errors: config, pin_incorrect, pin_locked, hsm_unavailable, hsm_error (e.g. a token whose SO
// may not make private objects, named in the message).
Result<std::string> create_trusted_kek(const TokenConfig& config, const SecretBytes& so_pin,
                                       unsigned number, bool public_object);

// Destroys kek-N (C_DestroyObject under the user login). Refuses (conflict) the newest KEK,
// which seals new blobs; the caller proves no blob is left under it first.
Status destroy_kek(Token& token, const TokenConfig& config, std::string_view name);

// The vault's re-wrapping seam; null unless `vault` is a wrapped vault with kek_rotation on.
std::shared_ptr<SeedRewrapper> seed_rewrapper(const std::shared_ptr<SeedVault>& vault,
                                              const TokenConfig& config);

// Whether the configuration announces weaker custody: "trusted" rotation with public KEKs
// allowed on SoftHSM2.
bool public_kek_custody(Token& token, const TokenConfig& config);

}  // namespace hsm2fa::hsm
