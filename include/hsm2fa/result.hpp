// Errors as values at module edges: every fallible call across a module boundary returns a
// Result<T>. Exceptions are reserved for start-up and configuration failures.
#pragma once

#include <cstdint>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace hsm2fa {

// What went wrong, in terms the service layer can map to an API status. Module-specific detail
// (a CKR_* name, an SQLite message) goes in Error::message, which must never contain a secret.
enum class Errc {
  invalid_argument = 1,  // bad input from a caller (400)
  not_found,             // no such object, user, credential (404)
  conflict,              // wrong state for the operation (409)
  export_locked,         // the seed may no longer leave the token (403)
  rate_limited,          // throttled or locked out (429)
  hsm_unavailable,       // token unreachable, session or login lost (503)
  hsm_error,             // the token refused an operation that should have worked
  pin_incorrect,         // the user PIN was rejected: never retried automatically
  pin_locked,            // the token reports the PIN locked or on its final try
  store_unavailable,     // database unreachable or failing (503)
  audit_unavailable,     // the audit record could not be written (503)
  config,                // invalid configuration or provisioning state
  tampered,              // stored data failed its integrity check
  internal,              // a bug: an invariant did not hold
  delivery_failed,       // an email code could not be handed to the relay (502)
  signature_invalid,     // a push response's signature did not verify (403)
};

const std::error_category& error_category() noexcept;
std::error_code make_error_code(Errc e) noexcept;
const char* to_string(Errc e) noexcept;

struct Error {
  Errc code = Errc::internal;
  std::string message;  // for humans and logs; never a seed, code, PIN or pairing URI
  std::int64_t retry_after_seconds = 0;  // with Errc::rate_limited: when to try again
};

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace hsm2fa

template <>
struct std::is_error_code_enum<hsm2fa::Errc> : std::true_type {};
