// RAII owners of Cryptoki resources: a session, a user login, a session object. Move-only; the
// destructors release the resource and log (never throw) if the module refuses.
#pragma once

#include <string_view>
#include <utility>

#include "cryptoki.hpp"
#include "hsm2fa/result.hpp"
#include "hsm2fa/secret.hpp"

namespace hsm2fa::hsm {

class Session {
 public:
  static Result<Session> open(const Cryptoki& ck, CK_SLOT_ID slot);
  Session(Session&& other) noexcept
      : ck_(other.ck_), handle_(std::exchange(other.handle_, CK_INVALID_HANDLE)) {}
  Session& operator=(Session&&) = delete;
  ~Session();

  CK_SESSION_HANDLE handle() const noexcept { return handle_; }
  const Cryptoki& cryptoki() const noexcept { return ck_; }

  // Calls a C_* function whose first parameter is the session handle.
  template <class... P, class... A>
  CK_RV raw(std::string_view name, CK_RV (*CK_FUNCTION_LIST::*member)(CK_SESSION_HANDLE, P...),
            A... args) const {
    return ck_.raw(name, member, handle_, args...);
  }
  template <class... P, class... A>
  Status call(std::string_view name, CK_RV (*CK_FUNCTION_LIST::*member)(CK_SESSION_HANDLE, P...),
              A... args) const {
    return ck_.call(name, member, handle_, args...);
  }

 private:
  Session(const Cryptoki& ck, CK_SESSION_HANDLE handle) : ck_(ck), handle_(handle) {}
  Cryptoki ck_;
  CK_SESSION_HANDLE handle_;
};

// A CKU_USER login held on `session` (which must outlive it); C_Logout on destruction.
class Login {
 public:
  // Exactly one C_Login attempt; CKR_USER_ALREADY_LOGGED_IN counts as success, and then this
  // object does not log out (the login belongs to whoever made it).
  static Result<Login> user(const Session& session, const SecretBytes& pin);
  Login(Login&& other) noexcept : session_(std::exchange(other.session_, nullptr)) {}
  Login& operator=(Login&&) = delete;
  ~Login();

 private:
  explicit Login(const Session* session) : session_(session) {}
  const Session* session_;
};

// A session object (CKA_TOKEN=FALSE) destroyed on destruction. The session must outlive it.
class SessionObject {
 public:
  SessionObject(const Session& session, CK_OBJECT_HANDLE handle)
      : session_(&session), handle_(handle) {}
  SessionObject(SessionObject&& other) noexcept
      : session_(other.session_), handle_(std::exchange(other.handle_, CK_INVALID_HANDLE)) {}
  SessionObject& operator=(SessionObject&&) = delete;
  ~SessionObject();

  CK_OBJECT_HANDLE handle() const noexcept { return handle_; }

 private:
  const Session* session_;
  CK_OBJECT_HANDLE handle_;
};

}  // namespace hsm2fa::hsm
