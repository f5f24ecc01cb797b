// What `hsm2fa keys check` shows an auditor: every service key and (token mode) every seed
// object, with the attributes that say whether a key can leave the token. The caller joins the
// seeds with the store (an active seed that is exportable is a finding).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hsm2fa/hsm/token.hpp"
#include "hsm2fa/result.hpp"
#include "hsm2fa/seed_vault.hpp"

namespace hsm2fa::hsm {

// Each as the token reports it; nullopt when the object has no such attribute (a public key has
// no CKA_SENSITIVE, for instance).
struct KeyAttributes {
  std::optional<bool> sensitive, extractable, always_sensitive, never_extractable,
      wrap_with_trusted, local, modifiable, copyable;
  // CKA_TRUSTED (may wrap CKA_WRAP_WITH_TRUSTED keys) and CKA_PRIVATE (a public object is usable
  // without login and, on SoftHSM2, kept in clear in the token directory).
  std::optional<bool> trusted, private_object;
};

// A KEK's CKA_UNWRAP_TEMPLATE, read back from the token: what it forces on every key it unwraps.
struct UnwrapTemplate {
  bool present = false;
  bool forces_sensitive = false;          // CKA_SENSITIVE = TRUE in the template
  bool forces_non_extractable = false;    // CKA_EXTRACTABLE = FALSE in the template
  bool forces_wrap_with_trusted = false;  // CKA_WRAP_WITH_TRUSTED = TRUE (kek_rotation "trusted")
};

struct KeyEntry {
  std::string
      role;  // "kek" (each kek-N), "pending-kek", "mac", "audit-sign", "audit-verify", "seed"
  std::string label;
  std::string id_hex;        // CKA_ID
  std::string object_class;  // "CKO_SECRET_KEY", "CKO_PRIVATE_KEY", "CKO_PUBLIC_KEY"
  std::string key_type;      // "CKK_AES", "CKK_GENERIC_SECRET", "CKK_EC", or "CKK_0x…"
  KeyAttributes attributes;
  // CKM_* names; nullopt when the attribute is absent (no restriction).
  std::optional<std::vector<std::string>> allowed_mechanisms;
  std::optional<UnwrapTemplate> unwrap_template;  // KEKs only
  bool exportable_now =
      false;  // seeds: !CKA_SENSITIVE || CKA_EXTRACTABLE (the token would let it out)
};

struct KeyReport {
  Custody custody = Custody::wrapped;
  std::vector<KeyEntry> keys;        // service keys found
  std::vector<std::string> missing;  // service key labels not in the token
  // Every secret key that is not a service key: "seed" for objects labelled "<prefix>-seed-…"
  // (token mode), "other" for anything else (never made by the service: always worth a look).
  std::vector<KeyEntry> seeds;
};

// Reads only; changes nothing. Errors: hsm_unavailable, hsm_error.
Result<KeyReport> key_report(Token& token, const TokenConfig& config);

// Where a stored SeedRef points, without touching the token (and never unwrapping).
struct SeedLocation {
  Custody custody = Custody::wrapped;
  HashAlg alg = HashAlg::sha1;
  std::string id_hex;     // token mode: the seed object's CKA_ID (matches KeyEntry::id_hex)
  std::string kek_label;  // wrapped mode: "<prefix>-kek-N" or "<prefix>-pending-kek"
  bool pending = false;   // wrapped mode: under the pending (exportable) KEK
};
// Errors: invalid_argument (not a seed ref), tampered (a wrapped ref that does not parse).
Result<SeedLocation> locate_seed(const SeedRef& ref, std::string_view key_prefix);

}  // namespace hsm2fa::hsm
