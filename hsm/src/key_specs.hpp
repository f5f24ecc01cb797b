// The service keys as data: what provisioning creates and what start-up reads back. Every
// security attribute is explicit (SoftHSM2 defaults CKA_SENSITIVE to false).
#pragma once

#include <string>
#include <vector>

#include "attributes.hpp"
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
};

// The active KEK, the pending KEK and the service MAC key for `prefix` and wrap mechanism.
std::vector<KeySpec> service_key_specs(const std::string& prefix, CK_MECHANISM_TYPE wrap);

// The CKA_UNWRAP_TEMPLATE of a KEK, which a caller of C_UnwrapKey must repeat (SoftHSM2 does not
// merge it). Active (readable = false): the unwrapped seed is a sensitive, non-extractable,
// sign-only session key. Pending (readable = true): extractable and readable, for pairing export.
void add_unwrap_rules(Template& t, bool readable);

// Parses "CKM_AES_KEY_WRAP_PAD" / "CKM_AES_KEY_WRAP"; Errc::config otherwise.
Result<CK_MECHANISM_TYPE> parse_wrap_mechanism(const std::string& name);
CK_MECHANISM_TYPE hmac_mechanism(HashAlg alg) noexcept;

}  // namespace hsm2fa::hsm
