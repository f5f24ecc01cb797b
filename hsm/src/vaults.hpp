// The two SeedVault implementations of DESIGN.md "Custody". make_seed_vault picks one.
#pragma once

#include <memory>

#include "attributes.hpp"
#include "hsm2fa/seed_vault.hpp"
#include "kek_ring.hpp"
#include "token_impl.hpp"

namespace hsm2fa::hsm {

// Token mode: one persistent token object per seed; handles found by one scan, then cached.
Result<std::shared_ptr<SeedVault>> make_token_vault(std::shared_ptr<TokenImpl> token);

// Wrapped mode: seeds as blobs wrapped under the provisioned KEKs, authenticated by the service
// MAC key. The keys must already have passed checked_key. `keks` (null: kek-1 only, not
// rotating) says which active KEKs exist; the vault is also a SeedRewrapper.
Result<std::shared_ptr<SeedVault>> make_wrapped_vault(std::shared_ptr<TokenImpl> token,
                                                      CK_MECHANISM_TYPE wrap,
                                                      std::shared_ptr<KekRing> keks = nullptr);

// `inner`, its operations and its oracles' under the token's gate (deadline, circuit breaker).
std::shared_ptr<SeedVault> gate_vault(std::shared_ptr<TokenImpl> token,
                                      std::shared_ptr<SeedVault> inner);
// The vault under gate_vault's wrapper (`vault` itself if it is not one): for its statistics.
const SeedVault& ungated(const SeedVault& vault) noexcept;
// The same as a shared pointer: KEK rotation's background pass re-wraps through the vault itself
// (it retries outages on its own and must not count against the request path's breaker).
std::shared_ptr<SeedVault> ungated(const std::shared_ptr<SeedVault>& vault);

// Zero-pads `seed` to the digest length of `alg` (SoftHSM2 refuses shorter HMAC keys; HMAC pads
// with zeros anyway). invalid_argument when empty or longer than 64 bytes.
Result<SecretBytes> padded_seed(HashAlg alg, std::span<const std::uint8_t> seed);

// The flags of a seed key: HMAC sign only, with the given exposure.
void add_seed_rules(Template& t, HashAlg alg, bool token_object, bool sensitive, bool extractable);

}  // namespace hsm2fa::hsm
