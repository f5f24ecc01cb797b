// Errc -> API status and error code. Messages of 4xx errors are the service's (written for
// callers, never secret); 5xx answers say only what failed, the detail goes to the log.
#pragma once

#include "hsm2fa/http/exchange.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::http {

struct ApiError {
  unsigned status;
  std::string_view code;
};

ApiError api_error(Errc errc) noexcept;

Response service_error_response(const Error& error, std::string_view request_id);

}  // namespace hsm2fa::http
