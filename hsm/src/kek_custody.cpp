#include "kek_custody.hpp"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include "ckr.hpp"
#include "key_check.hpp"
#include "key_specs.hpp"
#include "seed_ref.hpp"
#include "token_ops.hpp"
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
  auto lease = token.lease();
  if (!lease) return std::move(lease).error();
  auto key = checked_key(token, spec);
  if (!key) return std::move(key).error();
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

Status check_trusted_wrap_enforced(TokenImpl& token, SeedVault& vault) {
  static constexpr std::uint8_t kProbe[20] = {'h', 's', 'm', '2', 'f', 'a', '-', 'w', 'w', 't',
                                              '-', 'p', 'r', 'o', 'b', 'e', '-', 'k', 'e', 'y'};
  auto pending = vault.import(HashAlg::sha1, kProbe, true);
  if (!pending) return std::move(pending).error();
  auto locked = vault.lock(*pending);
  if (!locked) return std::move(locked).error();
  auto ref = decode_wrapped_ref(locked->encoded);
  if (!ref) return std::move(ref).error();
  auto lease = token.lease();
  if (!lease) return std::move(lease).error();
  // Handles are found under the lease: a module re-initialisation cannot come in between.
  auto kek = token.key(token.config().key_prefix + "-" + ref->kek, &lease->session());
  if (!kek) return std::move(kek).error();
  Template rules;
  add_rotatable_unwrap_rules(rules);
  rules.mechanisms(CKA_ALLOWED_MECHANISMS, {CKM_SHA_1_HMAC});
  const CK_MECHANISM_TYPE wrap = ref->mechanism == "KWP" ? CKM_AES_KEY_WRAP_PAD : CKM_AES_KEY_WRAP;
  auto seed = unwrap_key(*lease, wrap, *kek, ref->wrapped, rules);
  if (!seed) return std::move(seed).error();
  Template own;
  own.number(CKA_CLASS, CKO_SECRET_KEY)
      .number(CKA_KEY_TYPE, CKK_AES)
      .number(CKA_VALUE_LEN, 32)
      .flag(CKA_TOKEN, false)
      .flag(CKA_SENSITIVE, true)
      .flag(CKA_EXTRACTABLE, false)
      .flag(CKA_WRAP, true)
      .flag(CKA_UNWRAP, false);
  CK_MECHANISM generate{CKM_AES_KEY_GEN, nullptr, 0};
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
  if (auto s = lease->call(HSM2FA_P11(C_GenerateKey), &generate, own.data(), own.size(), &handle);
      !s) {
    return s;
  }
  SessionObject untrusted(lease->session(), handle);
  CK_MECHANISM m{wrap, nullptr, 0};
  std::uint8_t out[256];
  CK_ULONG size = sizeof out;
  // Uncounted: the refusal is the expected answer and must not show in the error metrics.
  const CK_RV rv = token.cryptoki().uncounted().raw(HSM2FA_P11(C_WrapKey), lease->handle(), &m,
                                                    untrusted.handle(), seed->handle(), out, &size);
  OPENSSL_cleanse(out, sizeof out);
  if (rv == CKR_OK) {
    return make_error(Errc::config,
                      "token self-test: the token wraps a CKA_WRAP_WITH_TRUSTED key under an "
                      "untrusted key; kek_rotation = \"trusted\" would let active seeds out");
  }
  if (errc_for(rv) == Errc::hsm_unavailable) return Cryptoki::error("C_WrapKey", rv);
  return {};
}

}  // namespace hsm2fa::hsm
