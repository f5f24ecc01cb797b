#include "audit_key.hpp"

#include <openssl/asn1.h>

#include "hsm2fa/hsm/audit_key.hpp"

namespace hsm2fa::hsm {
namespace {

#define HSM2FA_RULE(attr, value) \
  FlagRule { attr, #attr, value }

}  // namespace

std::string audit_key_label(std::string_view prefix) { return std::string(prefix) + "-audit-sign"; }

const std::vector<std::uint8_t>& p256_params() {
  static const std::vector<std::uint8_t> params{0x06, 0x08, 0x2a, 0x86, 0x48,
                                                0xce, 0x3d, 0x03, 0x01, 0x07};
  return params;
}

std::vector<FlagRule> audit_private_rules() {
  return {
      HSM2FA_RULE(CKA_TOKEN, true),       HSM2FA_RULE(CKA_PRIVATE, true),
      HSM2FA_RULE(CKA_SENSITIVE, true),   HSM2FA_RULE(CKA_EXTRACTABLE, false),
      HSM2FA_RULE(CKA_MODIFIABLE, false), HSM2FA_RULE(CKA_COPYABLE, false),
      HSM2FA_RULE(CKA_SIGN, true),        HSM2FA_RULE(CKA_SIGN_RECOVER, false),
      HSM2FA_RULE(CKA_DECRYPT, false),    HSM2FA_RULE(CKA_UNWRAP, false),
      HSM2FA_RULE(CKA_DERIVE, false),
  };
}

std::vector<FlagRule> audit_public_rules() {
  return {
      HSM2FA_RULE(CKA_TOKEN, true),           HSM2FA_RULE(CKA_PRIVATE, false),
      HSM2FA_RULE(CKA_MODIFIABLE, false),     HSM2FA_RULE(CKA_VERIFY, true),
      HSM2FA_RULE(CKA_VERIFY_RECOVER, false), HSM2FA_RULE(CKA_ENCRYPT, false),
      HSM2FA_RULE(CKA_WRAP, false),           HSM2FA_RULE(CKA_DERIVE, false),
  };
}

std::vector<FlagRule> audit_provenance_rules() {
  return {HSM2FA_RULE(CKA_LOCAL, true), HSM2FA_RULE(CKA_ALWAYS_SENSITIVE, true),
          HSM2FA_RULE(CKA_NEVER_EXTRACTABLE, true)};
}

Status generate_audit_key(SessionPool::Lease& lease, const std::string& label) {
  Template pub;
  pub.number(CKA_CLASS, CKO_PUBLIC_KEY)
      .number(CKA_KEY_TYPE, CKK_EC)
      .bytes(CKA_EC_PARAMS, p256_params())
      .text(CKA_LABEL, label)
      .text(CKA_ID, label);
  for (const auto& rule : audit_public_rules()) pub.flag(rule.type, rule.value);
  Template priv;
  priv.number(CKA_CLASS, CKO_PRIVATE_KEY)
      .number(CKA_KEY_TYPE, CKK_EC)
      .text(CKA_LABEL, label)
      .text(CKA_ID, label)
      .mechanisms(CKA_ALLOWED_MECHANISMS, {CKM_ECDSA});
  for (const auto& rule : audit_private_rules()) priv.flag(rule.type, rule.value);
  CK_MECHANISM mechanism{CKM_EC_KEY_PAIR_GEN, nullptr, 0};
  CK_OBJECT_HANDLE pub_handle = CK_INVALID_HANDLE, priv_handle = CK_INVALID_HANDLE;
  return lease.call(HSM2FA_P11(C_GenerateKeyPair), &mechanism, pub.data(), pub.size(), priv.data(),
                    priv.size(), &pub_handle, &priv_handle);
}

Result<AuditKeyPair> find_audit_key(TokenImpl& token, const Session* on) {
  const std::string label = audit_key_label(token.config().key_prefix);
  AuditKeyPair pair;
  for (auto [object_class, handle] : {std::pair{CKO_PRIVATE_KEY, &pair.private_key},
                                      std::pair{CKO_PUBLIC_KEY, &pair.public_key}}) {
    auto found = token.object(object_class, label, on);
    if (!found) {
      Error error = std::move(found).error();
      if (error.code == Errc::config) {
        error.message = "audit signing key " + label + " (" +
                        (object_class == CKO_PRIVATE_KEY ? "private" : "public") +
                        " half) is missing from the token or ambiguous: run `hsm2fa token "
                        "provision`";
      }
      return error;
    }
    *handle = *found;
  }
  return pair;
}

Result<std::vector<std::uint8_t>> audit_public_point(SessionPool::Lease& lease,
                                                     CK_OBJECT_HANDLE public_key) {
  auto raw = read_bytes(lease.session(), public_key, CKA_EC_POINT);
  if (!raw) {
    lease.mark_broken_if(raw.error());
    return std::move(raw).error();
  }
  constexpr std::size_t kUncompressed = 65;  // 0x04 || X || Y for P-256
  if (raw->size() == kUncompressed && raw->front() == 0x04) return std::move(*raw);
  const unsigned char* p = raw->data();
  ASN1_OCTET_STRING* octets = d2i_ASN1_OCTET_STRING(nullptr, &p, static_cast<long>(raw->size()));
  if (octets == nullptr) return make_error(Errc::config, "audit key: CKA_EC_POINT does not parse");
  std::vector<std::uint8_t> point(ASN1_STRING_get0_data(octets),
                                  ASN1_STRING_get0_data(octets) + ASN1_STRING_length(octets));
  ASN1_OCTET_STRING_free(octets);
  if (point.size() != kUncompressed || point.front() != 0x04) {
    return make_error(Errc::config, "audit key: CKA_EC_POINT is not an uncompressed P-256 point");
  }
  return point;
}

}  // namespace hsm2fa::hsm
