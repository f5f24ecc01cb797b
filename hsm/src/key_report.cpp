// The read-only key report of `hsm2fa keys check`.
#include "hsm2fa/hsm/key_report.hpp"

#include <cstring>

#include <algorithm>

#include "attributes.hpp"
#include "hsm2fa/hsm/audit_key.hpp"
#include "kek_ring.hpp"
#include "key_specs.hpp"
#include "mechanism_names.hpp"
#include "seed_ref.hpp"
#include "token_impl.hpp"
#include "unwrap_template.hpp"

namespace hsm2fa::hsm {
namespace {

// A flag, or nullopt if the object has no such attribute; other failures are errors.
Result<std::optional<bool>> optional_flag(const Session& session, CK_OBJECT_HANDLE object,
                                          CK_ATTRIBUTE_TYPE type) {
  CK_BBOOL value = CK_FALSE;
  CK_ATTRIBUTE attribute{type, &value, sizeof value};
  CK_RV rv = session.raw(HSM2FA_P11(C_GetAttributeValue), object, &attribute, CK_ULONG{1});
  if (rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE) {
    return std::optional<bool>{};
  }
  if (rv != CKR_OK) return Cryptoki::error("C_GetAttributeValue", rv);
  return std::optional<bool>{value == CK_TRUE};
}

}  // namespace

// CKA_UNWRAP_TEMPLATE is an attribute array: sizes first, then each member's value.
Result<UnwrapTemplate> read_unwrap_template(const Session& session, CK_OBJECT_HANDLE kek) {
  UnwrapTemplate out;
  CK_ATTRIBUTE outer{CKA_UNWRAP_TEMPLATE, nullptr, 0};
  CK_RV rv = session.raw(HSM2FA_P11(C_GetAttributeValue), kek, &outer, CK_ULONG{1});
  if (rv == CKR_ATTRIBUTE_TYPE_INVALID || (rv == CKR_OK && outer.ulValueLen == 0)) return out;
  if (rv != CKR_OK) return Cryptoki::error("C_GetAttributeValue", rv);
  std::vector<CK_ATTRIBUTE> members(outer.ulValueLen / sizeof(CK_ATTRIBUTE));
  outer.pValue = members.data();
  if (auto s = session.call(HSM2FA_P11(C_GetAttributeValue), kek, &outer, CK_ULONG{1}); !s) {
    return std::move(s).error();
  }
  std::vector<std::vector<std::uint8_t>> values(members.size());
  for (std::size_t i = 0; i < members.size(); ++i) {
    values[i].resize(members[i].ulValueLen);
    members[i].pValue = values[i].empty() ? nullptr : values[i].data();
  }
  if (auto s = session.call(HSM2FA_P11(C_GetAttributeValue), kek, &outer, CK_ULONG{1}); !s) {
    return std::move(s).error();
  }
  out.present = true;
  for (std::size_t i = 0; i < members.size(); ++i) {
    if (values[i].size() != sizeof(CK_BBOOL)) continue;
    const bool value = values[i][0] == CK_TRUE;
    if (members[i].type == CKA_SENSITIVE) out.forces_sensitive = value;
    if (members[i].type == CKA_EXTRACTABLE) out.forces_non_extractable = !value;
    if (members[i].type == CKA_WRAP_WITH_TRUSTED) out.forces_wrap_with_trusted = value;
  }
  return out;
}

namespace {

Result<KeyEntry> describe(const Session& session, CK_OBJECT_HANDLE object, std::string role) {
  KeyEntry entry;
  entry.role = std::move(role);
  auto label = read_bytes(session, object, CKA_LABEL);
  if (!label) return std::move(label).error();
  entry.label.assign(label->begin(), label->end());
  auto id = read_bytes(session, object, CKA_ID);
  if (!id) return std::move(id).error();
  entry.id_hex = to_hex(*id);
  auto object_class = read_number(session, object, CKA_CLASS);
  if (!object_class) return std::move(object_class).error();
  entry.object_class = object_class_name(*object_class);
  auto key_type = read_number(session, object, CKA_KEY_TYPE);
  if (!key_type) return std::move(key_type).error();
  entry.key_type = key_type_name(*key_type);

  auto& a = entry.attributes;
  for (auto [type, field] : {std::pair{CKA_SENSITIVE, &a.sensitive},
                             {CKA_EXTRACTABLE, &a.extractable},
                             {CKA_ALWAYS_SENSITIVE, &a.always_sensitive},
                             {CKA_NEVER_EXTRACTABLE, &a.never_extractable},
                             {CKA_WRAP_WITH_TRUSTED, &a.wrap_with_trusted},
                             {CKA_LOCAL, &a.local},
                             {CKA_MODIFIABLE, &a.modifiable},
                             {CKA_COPYABLE, &a.copyable},
                             {CKA_TRUSTED, &a.trusted},
                             {CKA_PRIVATE, &a.private_object}}) {
    auto value = optional_flag(session, object, type);
    if (!value) return std::move(value).error();
    *field = *value;
  }
  CK_ATTRIBUTE probe{CKA_ALLOWED_MECHANISMS, nullptr, 0};
  if (session.raw(HSM2FA_P11(C_GetAttributeValue), object, &probe, CK_ULONG{1}) == CKR_OK) {
    auto raw = read_bytes(session, object, CKA_ALLOWED_MECHANISMS);
    if (!raw) return std::move(raw).error();
    std::vector<CK_MECHANISM_TYPE> mechanisms(raw->size() / sizeof(CK_MECHANISM_TYPE));
    if (!mechanisms.empty()) std::memcpy(mechanisms.data(), raw->data(), raw->size());
    entry.allowed_mechanisms.emplace();
    for (auto m : mechanisms) entry.allowed_mechanisms->push_back(mechanism_name(m));
  }
  if (*object_class == CKO_SECRET_KEY && *key_type == CKK_AES) {
    auto unwrap = read_unwrap_template(session, object);
    if (!unwrap) return std::move(unwrap).error();
    entry.unwrap_template = *unwrap;
  }
  entry.exportable_now = a.sensitive.value_or(true) == false || a.extractable.value_or(false);
  return entry;
}

Result<std::vector<CK_OBJECT_HANDLE>> labelled(const Session& session, CK_OBJECT_CLASS object_class,
                                               const std::string& label) {
  Template match;
  match.number(CKA_CLASS, object_class).text(CKA_LABEL, label);
  return find_objects(session, match);
}

}  // namespace

Result<KeyReport> key_report(Token& token, const TokenConfig& config) {
  auto* impl = dynamic_cast<TokenImpl*>(&token);
  if (impl == nullptr) return make_error(Errc::internal, "key_report: not a PKCS#11 token");
  auto lease = impl->lease();
  if (!lease) return std::move(lease).error();
  const Session& session = lease->session();
  const std::string& prefix = config.key_prefix;
  KeyReport report;
  report.custody = config.custody;

  struct Wanted {
    const char* role;
    CK_OBJECT_CLASS object_class;
    std::string label;
  };
  auto numbers = kek_numbers(session, prefix);
  if (!numbers) return std::move(numbers).error();
  if (numbers->empty()) numbers->push_back(1);  // reported missing
  std::vector<Wanted> wanted;
  for (unsigned n : *numbers) wanted.push_back({"kek", CKO_SECRET_KEY, kek_label(prefix, n)});
  for (Wanted w :
       std::initializer_list<Wanted>{{"pending-kek", CKO_SECRET_KEY, pending_kek_label(prefix)},
                                     {"mac", CKO_SECRET_KEY, mac_key_label(prefix)},
                                     {"audit-sign", CKO_PRIVATE_KEY, audit_key_label(prefix)},
                                     {"audit-verify", CKO_PUBLIC_KEY, audit_key_label(prefix)}}) {
    wanted.push_back(std::move(w));
  }
  auto run = [&]() -> Status {
    for (const auto& w : wanted) {
      auto found = labelled(session, w.object_class, w.label);
      if (!found) return std::move(found).error();
      if (found->empty()) {
        report.missing.push_back(w.label + (w.object_class == CKO_PUBLIC_KEY ? " (public)" : ""));
      }
      for (CK_OBJECT_HANDLE object : *found) {  // several: all shown, the auditor decides
        auto entry = describe(session, object, w.role);
        if (!entry) return std::move(entry).error();
        report.keys.push_back(std::move(*entry));
      }
    }
    // Every other secret key too, in both modes: a seed-like key that someone made outside the
    // service is exactly what an auditor must see.
    Template match;
    match.number(CKA_CLASS, CKO_SECRET_KEY);
    auto secrets = find_objects(session, match);
    if (!secrets) return std::move(secrets).error();
    const std::string seed_prefix = prefix + "-seed-";
    for (CK_OBJECT_HANDLE object : *secrets) {
      auto label = read_bytes(session, object, CKA_LABEL);
      if (!label) return std::move(label).error();
      const std::string text(label->begin(), label->end());
      const bool seed = text.rfind(seed_prefix, 0) == 0;
      const bool a_kek = std::any_of(wanted.begin(), wanted.end(), [&](const Wanted& w) {
        return w.role == std::string_view("kek") && w.label == text;
      });
      if (!seed && (a_kek || text == pending_kek_label(prefix) || text == mac_key_label(prefix))) {
        continue;
      }
      auto entry = describe(session, object, seed ? "seed" : "other");
      if (!entry) return std::move(entry).error();
      report.seeds.push_back(std::move(*entry));
    }
    return {};
  };
  if (auto status = run(); !status) {
    lease->mark_broken_if(status.error());
    return std::move(status).error();
  }
  return report;
}

Result<SeedLocation> locate_seed(const SeedRef& ref, std::string_view key_prefix) {
  SeedLocation out;
  if (auto token_ref = decode_token_ref(ref.encoded); token_ref) {
    out.custody = Custody::token;
    out.alg = token_ref->alg;
    out.id_hex = to_hex(token_ref->id);
    return out;
  }
  auto wrapped = decode_wrapped_ref(ref.encoded);
  if (!wrapped) return std::move(wrapped).error();
  out.custody = Custody::wrapped;
  out.alg = wrapped->alg;
  out.kek_label = std::string(key_prefix) + "-" + wrapped->kek;
  out.pending = wrapped->pending;
  return out;
}

}  // namespace hsm2fa::hsm
