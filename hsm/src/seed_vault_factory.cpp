#include "hsm2fa/hsm/audit_key.hpp"
#include "hsm2fa/hsm/token.hpp"
#include "kek_custody.hpp"
#include "key_check.hpp"
#include "self_test.hpp"
#include "vaults.hpp"

namespace hsm2fa::hsm {

Result<std::shared_ptr<SeedVault>> make_seed_vault(std::shared_ptr<Token> token,
                                                   const TokenConfig& config) {
  auto impl = std::dynamic_pointer_cast<TokenImpl>(token);
  if (!impl) return make_error(Errc::internal, "make_seed_vault: not a PKCS#11 token");
  auto wrap = parse_wrap_mechanism(config.wrap_mechanism);
  if (!wrap) return std::move(wrap).error();
  if (config.key_prefix != impl->config().key_prefix) {
    return make_error(Errc::config, "make_seed_vault: key_prefix differs from the token's");
  }
  const bool rotating = config.kek_rotation == KekRotation::trusted;
  std::shared_ptr<KekRing> keks;
  if (rotating) {
    auto ring = open_kek_ring(*impl, config, *wrap);
    if (!ring) return std::move(ring).error();
    keks = std::move(*ring);
  }
  for (const auto& spec : service_key_specs(config.key_prefix, *wrap, rotating)) {
    if (rotating && spec.label == kek_label(config.key_prefix)) continue;  // open_kek_ring did
    auto key = checked_key(*impl, spec);
    if (!key) return std::move(key).error();
  }
  // The audit log cannot be sealed and checkpointed without it: no service without an audit.
  if (auto status = check_audit_key(*impl); !status) return std::move(status).error();
  if (config.custody == Custody::token) {
    auto vault = make_token_vault(impl);
    if (!vault) return vault;
    return gate_vault(std::move(impl), std::move(*vault));
  }

  auto vault = make_wrapped_vault(impl, *wrap, std::move(keks));
  if (!vault) return vault;
  if (auto status = self_test_wrapped(*impl, **vault, *wrap); !status) {
    return std::move(status).error();
  }
  if (rotating) {
    if (auto status = check_trusted_wrap_enforced(*impl, **vault); !status) {
      return std::move(status).error();
    }
  }
  return gate_vault(std::move(impl), std::move(*vault));
}

}  // namespace hsm2fa::hsm
