// The service keys as data: what provisioning creates and what start-up reads back. Every
// security attribute is explicit (SoftHSM2 defaults CKA_SENSITIVE to false).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attributes.hpp"
#include "handles.hpp"
#include "hsm2fa/hmac_oracle.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::hsm {

struct FlagRule {
  CK_ATTRIBUTE_TYPE type;
  const char* name;
  bool value;
};

struct KeySpec {
  std::string label;
  CK_MECHANISM_TYPE generate_with;  // CKM_AES_KEY_GEN or CKM_GENERIC_SECRET_KEY_GEN
  CK_KEY_TYPE key_type;
  CK_ULONG value_len;
  std::vector<CK_MECHANISM_TYPE> allowed;
  std::vector<FlagRule> flags;       // set at generation and checked at start-up
  std::vector<FlagRule> provenance;  // checked only: generated in the token, never exposed
  bool readable_unwrap = false;      // KEKs: which unwrap template (see unwrap_template)
  bool rotatable_unwrap = false;     // active KEKs under kek_rotation = "trusted"
};

// The active KEK, the pending KEK and the service MAC key for `prefix` and wrap mechanism.
// `rotatable`: kek-1 gets the rotatable unwrap template (kek_rotation = "trusted").
std::vector<KeySpec> service_key_specs(const std::string& prefix, CK_MECHANISM_TYPE wrap,
                                       bool rotatable = false);

// kek-<number> as the security officer makes it for a rotation: CKA_TRUSTED, rotatable unwrap
// template, otherwise like kek-1. `public_object`: CKA_PRIVATE=FALSE (SoftHSM2's SO can make
// nothing else).
KeySpec trusted_kek_spec(const std::string& prefix, unsigned number, CK_MECHANISM_TYPE wrap,
                         bool public_object);

// "kek-<N>" (N >= 1, no leading zero) -> N.
std::optional<unsigned> kek_number(std::string_view name);

// The CKA_UNWRAP_TEMPLATE of a KEK, which a caller of C_UnwrapKey must repeat (SoftHSM2 does not
// merge it). Active (readable = false): the unwrapped seed is a sensitive, non-extractable,
// sign-only session key. Pending (readable = true): extractable and readable, for pairing export.
void add_unwrap_rules(Template& t, bool readable);
// The active KEK's template under kek_rotation = "trusted": the seed is sensitive but extractable
// with CKA_WRAP_WITH_TRUSTED, so it can be re-wrapped only under a trusted (SO-made) KEK.
void add_rotatable_unwrap_rules(Template& t);
// The template `spec` puts in CKA_UNWRAP_TEMPLATE.
void add_unwrap_rules_of(Template& t, const KeySpec& spec);

// C_GenerateKey of `spec` in `session`: every flag of the spec, its unwrap template (AES keys),
// CKA_LABEL = CKA_ID = the spec's label.
Status generate_key(const Session& session, const KeySpec& spec);

// Parses "CKM_AES_KEY_WRAP_PAD" / "CKM_AES_KEY_WRAP"; Errc::config otherwise.
Result<CK_MECHANISM_TYPE> parse_wrap_mechanism(const std::string& name);
CK_MECHANISM_TYPE hmac_mechanism(HashAlg alg) noexcept;

}  // namespace hsm2fa::hsm
