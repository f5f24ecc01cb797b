// CKR_* error names as they appear in a fault rule.
#pragma once

#include <optional>
#include <string_view>

namespace hsm2fa::fault {

// The value of a Cryptoki 2.40 error name ("CKR_DEVICE_REMOVED"), or nullopt. CKR_OK is not an
// error and is not accepted.
std::optional<unsigned long> ckr_from_name(std::string_view name);

}  // namespace hsm2fa::fault
