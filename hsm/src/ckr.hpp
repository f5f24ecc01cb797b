// CK_RV as data: its CKR_* name and what it means to the rest of the service.
#pragma once

#include <string>

#include "hsm2fa/result.hpp"
#include "p11.hpp"

namespace hsm2fa::hsm {

// "CKR_DEVICE_REMOVED"; unknown values as "CKR_0x...".
std::string ckr_name(CK_RV rv);

// hsm_unavailable for a lost device, token, session or login; pin_incorrect / pin_locked for
// those PIN answers; hsm_error for everything else.
Errc errc_for(CK_RV rv) noexcept;

// True when the session the call ran on can no longer be trusted and must be replaced.
bool breaks_session(CK_RV rv) noexcept;

// True when only that session was lost (not the token): the same call may work on a new one.
bool loses_session(CK_RV rv) noexcept;

// True for answers seen after the login was lost (SoftHSM2 drops private handles on logout).
bool suggests_lost_login(CK_RV rv) noexcept;

}  // namespace hsm2fa::hsm
