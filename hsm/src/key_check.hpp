// Start-up check of the provisioned keys: every security attribute read back from the token.
#pragma once

#include "key_specs.hpp"
#include "token_impl.hpp"

namespace hsm2fa::hsm {

// The handle of `spec`'s key, or Errc::config naming the key and the first attribute that
// differs ("key hsm2fa-kek-1: CKA_EXTRACTABLE is TRUE, expected FALSE") or that it is missing.
Result<CK_OBJECT_HANDLE> checked_key(TokenImpl& token, const KeySpec& spec);

// Reads every flag of `rules` from `object`; Errc::config naming `label` and the first attribute
// that differs or cannot be read.
Status check_flag_rules(const Session& session, CK_OBJECT_HANDLE object, const std::string& label,
                        const std::vector<FlagRule>& rules);
// Errc::config "key <label>: <attribute> is <actual>, expected <expected>".
Error key_mismatch(const std::string& label, std::string_view attribute, std::string_view actual,
                   std::string_view expected);

}  // namespace hsm2fa::hsm
