#include "key_check.hpp"

#include <cstring>

namespace hsm2fa::hsm {
namespace {

Error mismatch(const KeySpec& spec, std::string_view attribute, std::string_view actual,
               std::string_view expected) {
  return key_mismatch(spec.label, attribute, actual, expected);
}

Error unreadable(const std::string& label, std::string_view attribute, const Error& error) {
  Error out = error;
  if (out.code == Errc::hsm_error) out.code = Errc::config;
  out.message = "key " + label + ": " + std::string(attribute) + " unreadable: " + error.message;
  return out;
}

Error unreadable(const KeySpec& spec, std::string_view attribute, const Error& error) {
  return unreadable(spec.label, attribute, error);
}

Status check_flags(const Session& session, CK_OBJECT_HANDLE key, const KeySpec& spec,
                   const std::vector<FlagRule>& rules) {
  return check_flag_rules(session, key, spec.label, rules);
}

Status check_numbers(const Session& session, CK_OBJECT_HANDLE key, const KeySpec& spec) {
  auto type = read_number(session, key, CKA_KEY_TYPE);
  if (!type) return unreadable(spec, "CKA_KEY_TYPE", type.error());
  if (*type != spec.key_type) {
    return mismatch(spec, "CKA_KEY_TYPE", std::to_string(*type), std::to_string(spec.key_type));
  }
  auto length = read_number(session, key, CKA_VALUE_LEN);
  if (!length) return unreadable(spec, "CKA_VALUE_LEN", length.error());
  if (*length != spec.value_len) {
    return mismatch(spec, "CKA_VALUE_LEN", std::to_string(*length), std::to_string(spec.value_len));
  }
  auto allowed = read_bytes(session, key, CKA_ALLOWED_MECHANISMS);
  if (!allowed) return unreadable(spec, "CKA_ALLOWED_MECHANISMS", allowed.error());
  std::vector<CK_MECHANISM_TYPE> actual(allowed->size() / sizeof(CK_MECHANISM_TYPE));
  if (!actual.empty()) std::memcpy(actual.data(), allowed->data(), allowed->size());
  if (actual != spec.allowed) {
    return mismatch(spec, "CKA_ALLOWED_MECHANISMS", "a different list", "only its own mechanism");
  }
  return {};
}

}  // namespace

Error key_mismatch(const std::string& label, std::string_view attribute, std::string_view actual,
                   std::string_view expected) {
  return make_error(Errc::config, "key " + label + ": " + std::string(attribute) + " is " +
                                      std::string(actual) + ", expected " + std::string(expected));
}

Status check_flag_rules(const Session& session, CK_OBJECT_HANDLE object, const std::string& label,
                        const std::vector<FlagRule>& rules) {
  for (const auto& rule : rules) {
    auto value = read_flag(session, object, rule.type);
    if (!value) return unreadable(label, rule.name, value.error());
    if (*value != rule.value) {
      return key_mismatch(label, rule.name, *value ? "TRUE" : "FALSE",
                          rule.value ? "TRUE" : "FALSE");
    }
  }
  return {};
}

Result<CK_OBJECT_HANDLE> checked_key(TokenImpl& token, const KeySpec& spec) {
  auto lease = token.lease();
  if (!lease) return std::move(lease).error();
  const Session& session = lease->session();
  auto key = token.key(spec.label, &session);
  if (!key) return std::move(key).error();
  auto status = check_flags(session, *key, spec, spec.flags);
  if (status) status = check_flags(session, *key, spec, spec.provenance);
  if (status) status = check_numbers(session, *key, spec);
  if (!status) {
    lease->mark_broken_if(status.error());
    return std::move(status).error();
  }
  return *key;
}

}  // namespace hsm2fa::hsm
