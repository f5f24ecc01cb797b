#include "handles.hpp"

#include <spdlog/spdlog.h>

namespace hsm2fa::hsm {

Result<Session> Session::open(const Cryptoki& ck, CK_SLOT_ID slot) {
  CK_SESSION_HANDLE handle = CK_INVALID_HANDLE;
  auto status =
      ck.call(HSM2FA_P11(C_OpenSession), slot, CK_FLAGS{CKF_SERIAL_SESSION | CKF_RW_SESSION},
              static_cast<void*>(nullptr), CK_NOTIFY{nullptr}, &handle);
  if (!status) return std::move(status).error();
  return Session(ck, handle);
}

Session::~Session() {
  if (handle_ == CK_INVALID_HANDLE) return;
  CK_RV rv = ck_.raw(HSM2FA_P11(C_CloseSession), handle_);
  if (rv != CKR_OK) spdlog::warn("pkcs11: C_CloseSession: {}", ckr_name(rv));
}

Result<Login> Login::user(const Session& session, const SecretBytes& pin) {
  // The PIN bytes go to the module only; CK_UTF8CHAR_PTR is non-const in the C API.
  CK_RV rv = session.raw(HSM2FA_P11(C_Login), CK_USER_TYPE{CKU_USER},
                         const_cast<CK_UTF8CHAR*>(pin.data()), CK_ULONG{pin.size()});
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
    Error error = Cryptoki::error("C_Login", rv);
    if (rv == CKR_PIN_INCORRECT) error.message += " (the user PIN in the PIN file is wrong)";
    return error;
  }
  return Login(rv == CKR_OK ? &session : nullptr);
}

Login::~Login() {
  if (session_ == nullptr) return;
  CK_RV rv = session_->raw(HSM2FA_P11(C_Logout));
  if (rv != CKR_OK && rv != CKR_USER_NOT_LOGGED_IN) {
    spdlog::warn("pkcs11: C_Logout: {}", ckr_name(rv));
  }
}

SessionObject::~SessionObject() {
  if (handle_ == CK_INVALID_HANDLE) return;
  CK_RV rv = session_->raw(HSM2FA_P11(C_DestroyObject), handle_);
  if (rv != CKR_OK) spdlog::warn("pkcs11: C_DestroyObject of a session object: {}", ckr_name(rv));
}

}  // namespace hsm2fa::hsm
