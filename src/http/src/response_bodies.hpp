// JSON bodies of successful answers (API.md shapes).
#pragma once

#include <boost/json.hpp>

#include "hsm2fa/http/exchange.hpp"
#include "hsm2fa/service/two_factor_service.hpp"

namespace hsm2fa::http {

Response json_response(unsigned status, const boost::json::value& body);

std::string_view state_name(CredentialState state) noexcept;
std::string_view totp_status_name(service::TotpStatus status) noexcept;
std::string_view verify_reason_name(service::VerifyReason reason) noexcept;

boost::json::object user_json(const service::UserView& view);

// The pairing answer. Written straight from the enrollment's SecretBytes into one buffer sized
// up front (no reallocation leaves a stray copy); marked sensitive so the server wipes it.
Response enrollment_response(unsigned status, const service::Enrollment& enrollment);

}  // namespace hsm2fa::http
