#include "response_bodies.hpp"

#include "json_body.hpp"

namespace hsm2fa::http {

namespace json = boost::json;

Response json_response(unsigned status, const json::value& body) {
  Response response;
  response.status = status;
  response.body = json::serialize(body);
  return response;
}

std::string_view state_name(CredentialState state) noexcept {
  return state == CredentialState::active ? "active" : "pending";
}

std::string_view totp_status_name(service::TotpStatus status) noexcept {
  switch (status) {
    case service::TotpStatus::pending:
      return "pending";
    case service::TotpStatus::active:
      return "active";
    case service::TotpStatus::none:
      break;
  }
  return "none";
}

std::string_view verify_reason_name(service::VerifyReason reason) noexcept {
  switch (reason) {
    case service::VerifyReason::wrong_code:
      return "wrong_code";
    case service::VerifyReason::replayed:
      return "replayed";
    case service::VerifyReason::not_enrolled:
      return "not_enrolled";
    case service::VerifyReason::expired:
      return "expired";
    case service::VerifyReason::none:
      break;
  }
  return "wrong_code";
}

json::object user_json(const service::UserView& view) {
  json::object out;
  out["tenant"] = view.tenant;
  out["user"] = view.user;
  out["two_factor"] = json::object{{"enabled", view.two_factor_enabled}};
  out["methods"] = json::object{{"totp", totp_status_name(view.totp)},
                                {"email", view.email},
                                {"push_devices", view.push_devices}};
  if (view.locked_until > 0) {
    out["locked_until"] = format_rfc3339(view.locked_until);
  } else {
    out["locked_until"] = nullptr;
  }
  return out;
}

namespace {

// JSON string escaping into a buffer that never grows: the caller reserved the worst case.
void append_escaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
}

}  // namespace

Response enrollment_response(unsigned status, const service::Enrollment& enrollment) {
  const std::string state(state_name(enrollment.state));
  const std::string expires = format_rfc3339(enrollment.expires_at);
  Response response;
  response.status = status;
  response.sensitive = true;
  std::string& body = response.body;
  body.reserve(96 + state.size() + expires.size() +
               6 * (enrollment.secret_base32.size() + enrollment.otpauth_uri.size()));
  body += "{\"state\":\"";
  body += state;
  body += "\",\"secret\":\"";
  append_escaped(body, enrollment.secret_base32.view());
  body += "\",\"otpauth_uri\":\"";
  append_escaped(body, enrollment.otpauth_uri.view());
  body += "\",\"expires_at\":\"";
  body += expires;
  body += "\"}";
  return response;
}

}  // namespace hsm2fa::http
