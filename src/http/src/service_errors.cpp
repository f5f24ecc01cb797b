#include "service_errors.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace hsm2fa::http {

ApiError api_error(Errc errc) noexcept {
  switch (errc) {
    case Errc::invalid_argument:
      return {400, "invalid_request"};
    case Errc::not_found:
      return {404, "not_found"};
    case Errc::conflict:
      return {409, "conflict"};
    case Errc::export_locked:
      return {403, "export_locked"};
    case Errc::rate_limited:
      return {429, "rate_limited"};
    case Errc::hsm_unavailable:
    case Errc::hsm_error:
    case Errc::pin_incorrect:
    case Errc::pin_locked:
      return {503, "hsm_unavailable"};
    case Errc::store_unavailable:
      return {503, "store_unavailable"};
    case Errc::audit_unavailable:
      return {503, "audit_unavailable"};
    case Errc::delivery_failed:
      return {502, "delivery_failed"};
    case Errc::signature_invalid:
      return {403, "forbidden"};
    case Errc::config:
    case Errc::tampered:
    case Errc::internal:
      break;
  }
  return {500, "internal"};
}

Response service_error_response(const Error& error, std::string_view request_id) {
  const ApiError api = api_error(error.code);
  if (api.status < 500 || api.status == 502) {
    const std::int64_t retry =
        api.status == 429 ? std::max<std::int64_t>(1, error.retry_after_seconds) : 0;
    return error_response(api.status, api.code, error.message, retry);
  }
  std::string_view message = "internal error";
  if (api.code == "hsm_unavailable") message = "the token is unavailable";
  if (api.code == "store_unavailable") message = "the store is unavailable";
  if (api.code == "audit_unavailable") message = "the audit log is unavailable";
  Response response = error_response(api.status, api.code, message);
  spdlog::warn("request {}: {}: {}", request_id, to_string(error.code), error.message);
  return response;
}

}  // namespace hsm2fa::http
