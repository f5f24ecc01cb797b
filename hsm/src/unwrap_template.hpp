// Reading a KEK's CKA_UNWRAP_TEMPLATE back from the token (the key report, the start-up check
// of kek_rotation = "trusted").
#pragma once

#include "handles.hpp"
#include "hsm2fa/hsm/key_report.hpp"

namespace hsm2fa::hsm {

// present = false when the key has none.
Result<UnwrapTemplate> read_unwrap_template(const Session& session, CK_OBJECT_HANDLE kek);

}  // namespace hsm2fa::hsm
