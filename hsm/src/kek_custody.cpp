#include "kek_custody.hpp"

#include <spdlog/spdlog.h>

#include "key_check.hpp"
#include "key_specs.hpp"
#include "unwrap_template.hpp"

namespace hsm2fa::hsm {
namespace {

bool mentions_softhsm(const CK_UTF8CHAR* field, std::size_t size) {
  return std::string_view(reinterpret_cast<const char*>(field), size).find("SoftHSM") !=
         std::string_view::npos;
}

}  // namespace

Result<bool> token_is_softhsm(TokenImpl& token) {
  auto lease = token.lease();
  if (!lease) return std::move(lease).error();
  CK_SESSION_INFO session{};
  if (auto s = lease->call(HSM2FA_P11(C_GetSessionInfo), &session); !s) return std::move(s).error();
  CK_TOKEN_INFO info{};
  if (auto s = token.cryptoki().call(HSM2FA_P11(C_GetTokenInfo), session.slotID, &info); !s) {
    return std::move(s).error();
  }
  return mentions_softhsm(info.manufacturerID, sizeof info.manufacturerID) ||
         mentions_softhsm(info.model, sizeof info.model);
}

Result<std::shared_ptr<KekRing>> open_kek_ring(TokenImpl& token, const TokenConfig& config,
                                               CK_MECHANISM_TYPE wrap) {
  if (config.custody != Custody::wrapped) {
    return make_error(Errc::config, "kek_rotation = \"trusted\" needs custody = \"wrapped\"");
  }
  auto softhsm = token_is_softhsm(token);
  if (!softhsm) return std::move(softhsm).error();
  if (*softhsm && !config.allow_public_kek) {
    return make_error(Errc::config,
                      "kek_rotation = \"trusted\" on SoftHSM2 needs [hsm] allow_public_kek = true: "
                      "its security officer can make only public trusted KEKs, whose value "
                      "SoftHSM2 keeps in clear in the token directory (development and tests "
                      "only)");
  }
  auto ring = std::make_shared<KekRing>(config.key_prefix, true);
  auto active = ring->refresh(token);
  if (!active) return std::move(active).error();
  const unsigned number = *kek_number(*active);
  const KeySpec spec = number == 1 ? service_key_specs(config.key_prefix, wrap, true).front()
                                   : trusted_kek_spec(config.key_prefix, number, wrap, *softhsm);
  auto key = checked_key(token, spec);
  if (!key) return std::move(key).error();
  auto lease = token.lease();
  if (!lease) return std::move(lease).error();
  auto rules = read_unwrap_template(lease->session(), *key);
  if (!rules) return std::move(rules).error();
  if (!rules->present || !rules->forces_sensitive || rules->forces_non_extractable ||
      !rules->forces_wrap_with_trusted) {
    return key_mismatch(spec.label, "CKA_UNWRAP_TEMPLATE", "not the rotatable template",
                        "sensitive, extractable, CKA_WRAP_WITH_TRUSTED (a token provisioned with "
                        "kek_rotation = \"off\" cannot rotate its seeds)");
  }
  if (*softhsm) {
    spdlog::warn(
        "kek_rotation = \"trusted\" with allow_public_kek on SoftHSM2: trusted KEKs are public "
        "objects kept in clear in the token directory (weaker custody; development and tests "
        "only)");
  }
  return ring;
}

}  // namespace hsm2fa::hsm
