#include "key_specs.hpp"

#include "hsm2fa/hsm/token.hpp"

namespace hsm2fa::hsm {
namespace {

#define HSM2FA_RULE(attr, value) \
  FlagRule { attr, #attr, value }

std::vector<FlagRule> custody_rules(bool wrap_unwrap, bool sign) {
  return {
      HSM2FA_RULE(CKA_TOKEN, true),       HSM2FA_RULE(CKA_PRIVATE, true),
      HSM2FA_RULE(CKA_SENSITIVE, true),   HSM2FA_RULE(CKA_EXTRACTABLE, false),
      HSM2FA_RULE(CKA_MODIFIABLE, false), HSM2FA_RULE(CKA_COPYABLE, false),
      HSM2FA_RULE(CKA_WRAP, wrap_unwrap), HSM2FA_RULE(CKA_UNWRAP, wrap_unwrap),
      HSM2FA_RULE(CKA_SIGN, sign),        HSM2FA_RULE(CKA_VERIFY, false),
      HSM2FA_RULE(CKA_ENCRYPT, false),    HSM2FA_RULE(CKA_DECRYPT, false),
      HSM2FA_RULE(CKA_DERIVE, false),
  };
}

std::vector<FlagRule> provenance_rules() {
  return {HSM2FA_RULE(CKA_LOCAL, true), HSM2FA_RULE(CKA_ALWAYS_SENSITIVE, true),
          HSM2FA_RULE(CKA_NEVER_EXTRACTABLE, true)};
}

}  // namespace

std::string kek_label(std::string_view prefix) { return kek_label(prefix, 1); }
std::string kek_label(std::string_view prefix, unsigned number) {
  return std::string(prefix) + "-kek-" + std::to_string(number);
}

std::optional<unsigned> kek_number(std::string_view name) {
  constexpr std::string_view kStem = "kek-";
  if (name.substr(0, kStem.size()) != kStem) return std::nullopt;
  const std::string_view digits = name.substr(kStem.size());
  if (digits.empty() || digits.size() > 6 || digits[0] == '0') return std::nullopt;
  unsigned n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<unsigned>(c - '0');
  }
  return n;
}
std::string pending_kek_label(std::string_view prefix) {
  return std::string(prefix) + "-pending-kek";
}
std::string mac_key_label(std::string_view prefix) { return std::string(prefix) + "-mac"; }

std::vector<KeySpec> service_key_specs(const std::string& prefix, CK_MECHANISM_TYPE wrap,
                                       bool rotatable) {
  std::vector<KeySpec> specs;
  specs.push_back(KeySpec{kek_label(prefix),
                          CKM_AES_KEY_GEN,
                          CKK_AES,
                          32,
                          {wrap},
                          custody_rules(true, false),
                          provenance_rules(),
                          false,
                          rotatable});
  specs.push_back(KeySpec{pending_kek_label(prefix),
                          CKM_AES_KEY_GEN,
                          CKK_AES,
                          32,
                          {wrap},
                          custody_rules(true, false),
                          provenance_rules(),
                          true});
  specs.push_back(KeySpec{mac_key_label(prefix),
                          CKM_GENERIC_SECRET_KEY_GEN,
                          CKK_GENERIC_SECRET,
                          32,
                          {CKM_SHA256_HMAC},
                          custody_rules(false, true),
                          provenance_rules(),
                          false});
  return specs;
}

KeySpec trusted_kek_spec(const std::string& prefix, unsigned number, CK_MECHANISM_TYPE wrap,
                         bool public_object) {
  std::vector<FlagRule> flags = custody_rules(true, false);
  for (auto& rule : flags) {
    if (rule.type == CKA_PRIVATE) rule.value = !public_object;
  }
  flags.push_back(HSM2FA_RULE(CKA_TRUSTED, true));
  return KeySpec{kek_label(prefix, number), CKM_AES_KEY_GEN,    CKK_AES, 32,  {wrap},
                 std::move(flags),          provenance_rules(), false,   true};
}

void add_rotatable_unwrap_rules(Template& t) {
  t.number(CKA_CLASS, CKO_SECRET_KEY)
      .number(CKA_KEY_TYPE, CKK_GENERIC_SECRET)
      .flag(CKA_TOKEN, false)
      .flag(CKA_PRIVATE, true)
      .flag(CKA_SENSITIVE, true)
      .flag(CKA_EXTRACTABLE, true)
      .flag(CKA_WRAP_WITH_TRUSTED, true)
      .flag(CKA_SIGN, true)
      .flag(CKA_VERIFY, false)
      .flag(CKA_ENCRYPT, false)
      .flag(CKA_DECRYPT, false)
      .flag(CKA_WRAP, false)
      .flag(CKA_UNWRAP, false)
      .flag(CKA_DERIVE, false);
}

void add_unwrap_rules_of(Template& t, const KeySpec& spec) {
  if (spec.rotatable_unwrap) {
    add_rotatable_unwrap_rules(t);
  } else {
    add_unwrap_rules(t, spec.readable_unwrap);
  }
}

void add_unwrap_rules(Template& t, bool readable) {
  t.number(CKA_CLASS, CKO_SECRET_KEY)
      .number(CKA_KEY_TYPE, CKK_GENERIC_SECRET)
      .flag(CKA_TOKEN, false)
      .flag(CKA_PRIVATE, true)
      .flag(CKA_SENSITIVE, !readable)
      .flag(CKA_EXTRACTABLE, readable)
      .flag(CKA_SIGN, true)
      .flag(CKA_VERIFY, false)
      .flag(CKA_ENCRYPT, false)
      .flag(CKA_DECRYPT, false)
      .flag(CKA_WRAP, false)
      .flag(CKA_UNWRAP, false)
      .flag(CKA_DERIVE, false);
}

Status generate_key(const Session& session, const KeySpec& spec) {
  Template unwrap_rules;
  Template t;
  t.number(CKA_CLASS, CKO_SECRET_KEY)
      .number(CKA_KEY_TYPE, spec.key_type)
      .number(CKA_VALUE_LEN, spec.value_len)
      .text(CKA_LABEL, spec.label)
      .text(CKA_ID, spec.label)
      .mechanisms(CKA_ALLOWED_MECHANISMS, spec.allowed);
  for (const auto& rule : spec.flags) t.flag(rule.type, rule.value);
  if (spec.key_type == CKK_AES) {
    add_unwrap_rules_of(unwrap_rules, spec);
    t.nested(CKA_UNWRAP_TEMPLATE, unwrap_rules);
  }
  CK_MECHANISM mechanism{spec.generate_with, nullptr, 0};
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
  return session.call(HSM2FA_P11(C_GenerateKey), &mechanism, t.data(), t.size(), &handle);
}

Result<CK_MECHANISM_TYPE> parse_wrap_mechanism(const std::string& name) {
  if (name == "CKM_AES_KEY_WRAP_PAD") return CK_MECHANISM_TYPE{CKM_AES_KEY_WRAP_PAD};
  if (name == "CKM_AES_KEY_WRAP") return CK_MECHANISM_TYPE{CKM_AES_KEY_WRAP};
  return make_error(Errc::config, "wrap_mechanism '" + name +
                                      "' is not CKM_AES_KEY_WRAP_PAD or CKM_AES_KEY_WRAP");
}

CK_MECHANISM_TYPE hmac_mechanism(HashAlg alg) noexcept {
  switch (alg) {
    case HashAlg::sha1:
      return CKM_SHA_1_HMAC;
    case HashAlg::sha256:
      return CKM_SHA256_HMAC;
    case HashAlg::sha512:
      return CKM_SHA512_HMAC;
  }
  return CKM_SHA_1_HMAC;
}

}  // namespace hsm2fa::hsm
