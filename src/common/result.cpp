#include "hsm2fa/result.hpp"

namespace hsm2fa {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "hsm2fa"; }
  std::string message(int ev) const override { return to_string(static_cast<Errc>(ev)); }
};

}  // namespace

const char* to_string(Errc e) noexcept {
  switch (e) {
    case Errc::invalid_argument:
      return "invalid_argument";
    case Errc::not_found:
      return "not_found";
    case Errc::conflict:
      return "conflict";
    case Errc::export_locked:
      return "export_locked";
    case Errc::rate_limited:
      return "rate_limited";
    case Errc::hsm_unavailable:
      return "hsm_unavailable";
    case Errc::hsm_error:
      return "hsm_error";
    case Errc::pin_incorrect:
      return "pin_incorrect";
    case Errc::pin_locked:
      return "pin_locked";
    case Errc::store_unavailable:
      return "store_unavailable";
    case Errc::audit_unavailable:
      return "audit_unavailable";
    case Errc::config:
      return "config";
    case Errc::tampered:
      return "tampered";
    case Errc::internal:
      return "internal";
    case Errc::delivery_failed:
      return "delivery_failed";
    case Errc::signature_invalid:
      return "signature_invalid";
  }
  return "unknown";
}

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

std::error_code make_error_code(Errc e) noexcept { return {static_cast<int>(e), error_category()}; }

}  // namespace hsm2fa
