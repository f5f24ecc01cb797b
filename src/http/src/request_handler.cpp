#include "hsm2fa/http/request_handler.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <optional>
#include <span>
#include <variant>

#include "handler_call.hpp"
#include "json_body.hpp"
#include "response_bodies.hpp"
#include "routes.hpp"
#include "service_errors.hpp"

namespace hsm2fa::http {

namespace json = boost::json;
using service::TwoFactorService;

namespace {

std::string actor_of(const Peer& peer) {
  if (peer.transport == Peer::Transport::tcp) return "tcp:loopback";
  return "uid=" + (peer.uid ? std::to_string(*peer.uid) : std::string("?")) +
         ",gid=" + (peer.gid ? std::to_string(*peer.gid) : std::string("?"));
}

// "application/json", optionally with parameters ("; charset=utf-8"), case-insensitively.
bool is_json(std::string_view content_type) {
  const std::string_view media = content_type.substr(0, content_type.find(';'));
  std::string lower;
  for (char c : media) {
    if (c != ' ' && c != '\t')
      lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return lower == "application/json";
}

Response bad_request(const Error& error) {
  return error_response(400, "invalid_request", error.message);
}

Response health(const Call& call, const std::string& version,
                const service::KekRotation* kek_rotation) {
  const service::Health h = call.service.health();
  json::object body{{"status", h.hsm_up && h.store_up ? "ok" : "degraded"},
                    {"hsm", h.hsm_up ? "up" : "down"},
                    {"store", h.store_up ? "up" : "down"},
                    {"version", version}};
  std::string weaker;
  if (h.weaker_custody) weaker = "a tenant re-exports seeds (policy always)";
  if (kek_rotation != nullptr && kek_rotation->public_kek()) {
    weaker += std::string(weaker.empty() ? "" : "; ") +
              "trusted KEKs are public token objects (allow_public_kek)";
  }
  if (!weaker.empty()) body["custody"] = "weaker: " + weaker;
  if (h.hsm_up && h.store_up) return json_response(200, body);
  // Still the error envelope every >= 400 answer carries, beside the health fields.
  body["error"] = json::object{{"code", h.hsm_up ? "store_unavailable" : "hsm_unavailable"},
                               {"message", "a dependency is down"}};
  return json_response(503, body);
}

Response scrape(const Call& call) {
  Response response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = call.metrics.render();
  return response;
}

Response user(const Call& call) {
  auto view = call.service.user(call.route.tenant, call.route.user);
  if (!view) return service_error_response(view.error(), call.caller.request_id);
  return json_response(200, user_json(*view));
}

// The terms shared by the single and the bulk two-factor switch: "until" as unix seconds (0: no
// end) and the reason, which disabling requires. Either the terms or the 400 to send.
struct SwitchTerms {
  std::int64_t until = 0;
  std::string_view reason;
};

std::variant<SwitchTerms, Response> switch_terms(bool enabled,
                                                 std::optional<std::string_view> until,
                                                 std::optional<std::string_view> reason) {
  SwitchTerms terms;
  if (until) {
    const auto parsed = parse_rfc3339(*until);
    if (!parsed) return error_response(400, "invalid_request", "\"until\" must be RFC 3339");
    terms.until = *parsed;
  }
  terms.reason = reason.value_or("");
  if (!enabled && terms.reason.empty()) {
    return error_response(400, "invalid_request", "disabling two-factor needs a \"reason\"");
  }
  return terms;
}

Response two_factor(const Call& call) {
  auto enabled = call.body.boolean("enabled");
  auto reason = call.body.string("reason");
  auto until = call.body.string("until", true);
  if (!enabled) return bad_request(enabled.error());
  if (!reason) return bad_request(reason.error());
  if (!until) return bad_request(until.error());
  if (!*enabled) return error_response(400, "invalid_request", "field \"enabled\" is required");
  auto terms = switch_terms(**enabled, *until, *reason);
  if (auto* refused = std::get_if<Response>(&terms)) return std::move(*refused);
  const auto [until_s, why] = std::get<SwitchTerms>(terms);
  auto view = call.service.set_two_factor(call.caller, call.route.tenant, call.route.user,
                                          **enabled, why, until_s);
  if (!view) return service_error_response(view.error(), call.caller.request_id);
  return json_response(200, user_json(*view));
}

// {"users":[...],"enabled":bool,"reason"?,"until"?}: every entry gets its own result, in order.
// An entry that is not a string is reported (as itself) without reaching the service.
Response bulk(const Call& call) {
  auto users = call.body.array("users");
  auto enabled = call.body.boolean("enabled");
  auto reason = call.body.string("reason");
  auto until = call.body.string("until", true);
  if (!users) return bad_request(users.error());
  if (!enabled) return bad_request(enabled.error());
  if (!reason) return bad_request(reason.error());
  if (!until) return bad_request(until.error());
  if (!*users) return error_response(400, "invalid_request", "field \"users\" is required");
  if (!*enabled) return error_response(400, "invalid_request", "field \"enabled\" is required");
  if ((*users)->size() > service::kMaxBulkUsers) {
    return error_response(400, "invalid_request", "at most 10000 users per request");
  }
  auto terms = switch_terms(**enabled, *until, *reason);
  if (auto* refused = std::get_if<Response>(&terms)) return std::move(*refused);
  const auto [until_s, why] = std::get<SwitchTerms>(terms);
  std::vector<std::string> ids;
  ids.reserve((*users)->size());
  for (const json::value& entry : **users) {
    if (entry.is_string()) ids.emplace_back(entry.get_string());
  }
  auto outcomes = call.service.set_two_factor_bulk(call.caller, call.route.tenant, ids, **enabled,
                                                   why, until_s);
  if (!outcomes) return service_error_response(outcomes.error(), call.caller.request_id);
  json::array results;
  results.reserve((*users)->size());
  std::size_t next = 0;
  for (const json::value& entry : **users) {
    json::object result{{"user", entry}};
    if (!entry.is_string()) {
      result["ok"] = false;
      result["error"] =
          json::object{{"code", "invalid_request"}, {"message", "a user id must be a string"}};
    } else {
      const service::BulkOutcome& outcome = (*outcomes)[next++];
      result["ok"] = !outcome.error;
      if (outcome.error) {
        const ApiError api = api_error(outcome.error->code);
        result["error"] = json::object{
            {"code", api.code},
            {"message", api.status < 500 ? outcome.error->message : std::string(api.code)}};
      }
    }
    results.push_back(std::move(result));
  }
  return json_response(200, json::object{{"results", std::move(results)}});
}

Response email_code(const Call& call) {
  auto email = call.body.string("email");
  if (!email) return bad_request(email.error());
  if (!*email) return error_response(400, "invalid_request", "field \"email\" is required");
  auto issued =
      call.service.send_email_code(call.caller, call.route.tenant, call.route.user, **email);
  if (!issued) return service_error_response(issued.error(), call.caller.request_id);
  const bool to_caller = issued->delivery == service::EmailDelivery::caller;
  json::object body{{"expires_at", format_rfc3339(issued->expires_at)},
                    {"resend_after", format_rfc3339(issued->resend_after)},
                    {"delivery", to_caller ? "caller" : "smtp"}};
  if (!to_caller) return json_response(202, body);
  // The code goes straight from its SecretBytes into one buffer sized up front (no reallocation
  // leaves a stray copy), and the buffer is wiped once sent. Digits need no JSON escaping.
  const std::string head = json::serialize(body);
  Response response;
  response.status = 202;
  response.sensitive = true;
  response.body.reserve(head.size() + issued->code.size() + 16);
  response.body.append(head, 0, head.size() - 1);
  response.body.append(",\"code\":\"");
  response.body.append(issued->code.view());
  response.body.append("\"}");
  return response;
}

Response unlock(const Call& call) {
  auto view = call.service.unlock(call.caller, call.route.tenant, call.route.user);
  if (!view) return service_error_response(view.error(), call.caller.request_id);
  return json_response(200, user_json(*view));
}

Response totp_state(const Call& call) {
  auto view = call.service.user(call.route.tenant, call.route.user);
  if (!view) return service_error_response(view.error(), call.caller.request_id);
  return json_response(200, json::object{{"state", totp_status_name(view->totp)}});
}

Response enroll(const Call& call) {
  service::EnrollRequest request;
  request.tenant = call.route.tenant;
  request.user = call.route.user;
  auto algorithm = call.body.string("algorithm");
  auto digits = call.body.integer("digits");
  auto period = call.body.integer("period");
  auto replace = call.body.boolean("replace");
  if (!algorithm) return bad_request(algorithm.error());
  if (!digits) return bad_request(digits.error());
  if (!period) return bad_request(period.error());
  if (!replace) return bad_request(replace.error());
  if (*algorithm) {
    request.algorithm = parse_hash_alg(**algorithm);
    if (!request.algorithm) {
      return error_response(400, "invalid_request", "\"algorithm\" must be SHA1, SHA256 or SHA512");
    }
  }
  if (*digits) {
    if (**digits != 6 && **digits != 8) {
      return error_response(400, "invalid_request", "\"digits\" must be 6 or 8");
    }
    request.digits = static_cast<int>(**digits);
  }
  if (*period) {
    if (**period < 1 || **period > 3600) {
      return error_response(400, "invalid_request", "\"period\" must be 1 to 3600 seconds");
    }
    request.period = static_cast<int>(**period);
  }
  request.replace = replace->value_or(false);
  auto enrollment = call.service.enroll_totp(call.caller, request);
  if (!enrollment) return service_error_response(enrollment.error(), call.caller.request_id);
  return enrollment_response(201, *enrollment);
}

Response pairing(const Call& call) {
  auto enrollment = call.service.pairing(call.caller, call.route.tenant, call.route.user);
  if (!enrollment) return service_error_response(enrollment.error(), call.caller.request_id);
  return enrollment_response(200, *enrollment);
}

Response delete_totp(const Call& call) {
  auto status = call.service.delete_totp(call.caller, call.route.tenant, call.route.user);
  if (!status) return service_error_response(status.error(), call.caller.request_id);
  Response response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

// A code is a JSON string; its digits and length are the service's to judge.
Result<std::string_view> code_of(const JsonBody& body) {
  auto code = body.string("code");
  if (!code) return code.error();
  if (!*code) return make_error(Errc::invalid_argument, "field \"code\" is required");
  return **code;
}

Response confirm(const Call& call) {
  auto code = code_of(call.body);
  if (!code) return bad_request(code.error());
  auto result = call.service.confirm_totp(call.caller, call.route.tenant, call.route.user, *code);
  if (!result) return service_error_response(result.error(), call.caller.request_id);
  return json_response(
      200, json::object{{"valid", result->valid}, {"state", state_name(result->state)}});
}

Response verify(const Call& call) {
  auto code = code_of(call.body);
  if (!code) {
    call.metrics.observe_verify("invalid");
    return bad_request(code.error());
  }
  auto result = call.service.verify(call.caller, call.route.tenant, call.route.user, *code);
  if (!result) {
    const ApiError api = api_error(result.error().code);
    call.metrics.observe_verify(api.status == 429   ? "rate_limited"
                                : api.status == 400 ? "invalid"
                                                    : "error");
    return service_error_response(result.error(), call.caller.request_id);
  }
  if (result->valid) {
    call.metrics.observe_verify("valid");
    return json_response(200, json::object{{"valid", true}, {"method", result->method}});
  }
  const std::string_view reason = verify_reason_name(result->reason);
  call.metrics.observe_verify(reason);
  return json_response(200, json::object{{"valid", false}, {"reason", reason}});
}

json::object progress_json(const service::KekRotationProgress& p) {
  json::object o{
      {"state", p.state},   {"target", p.target},   {"total", p.total},          {"done", p.done},
      {"failed", p.failed}, {"skipped", p.skipped}, {"remaining", p.remaining()}};
  if (!p.error.empty()) o["error"] = p.error;
  return o;
}

// GET: the rotation's progress ({"state":"off"} when kek_rotation is off). POST: start a pass
// (202), or the running one's progress (200); 409 when rotation is off.
Response kek_rotation(const Call& call, bool start, service::KekRotation* rotation) {
  if (rotation == nullptr) {
    if (start) return error_response(409, "conflict", "kek_rotation is off in [hsm]");
    return json_response(200, json::object{{"state", "off"}});
  }
  if (!start) return json_response(200, progress_json(rotation->progress()));
  const bool running = rotation->progress().state == "running";
  auto started = rotation->start(call.caller);
  if (!started) return service_error_response(started.error(), call.caller.request_id);
  return json_response(running ? 200 : 202, progress_json(*started));
}

std::string_view method_label(std::string_view method) {
  for (std::string_view known : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    if (method == known) return known;
  }
  return "other";
}

}  // namespace

RequestHandler::RequestHandler(std::shared_ptr<TwoFactorService> service, AccessPolicy access,
                               std::shared_ptr<Metrics> metrics, std::string version,
                               std::shared_ptr<service::KekRotation> kek_rotation)
    : service_(std::move(service)),
      access_(std::move(access)),
      metrics_(std::move(metrics)),
      version_(std::move(version)),
      kek_rotation_(std::move(kek_rotation)) {}

Response RequestHandler::handle(const Request& request, const Peer& peer) const {
  const auto start = std::chrono::steady_clock::now();
  service::Caller caller{actor_of(peer), new_request_id()};
  std::string_view route_name = "unmatched";
  Response response;
  try {
    response = [&]() -> Response {
      const auto route = match_route(request.target);
      if (!route) return error_response(404, "not_found", "no such route");
      route_name = route->name;
      const auto role = required_role(route->id, request.method);
      if (!role) {
        Response r = error_response(405, "method_not_allowed", "method not allowed on this route");
        r.allow = std::string(allowed_methods(route->id));
        return r;
      }
      if (!access_.roles(peer).has(*role)) {
        return error_response(403, "forbidden", "this caller may not use this route");
      }
      if (route->bad_escape) return error_response(400, "invalid_request", "malformed path");
      const bool tenant_only = route->id == RouteId::bulk;
      if (route->id != RouteId::health && route->id != RouteId::metrics &&
          route->id != RouteId::kek_rotation && !is_id_route(route->id) &&
          (!valid_identifier(route->tenant) || (!tenant_only && !valid_identifier(route->user)))) {
        return error_response(400, "invalid_request",
                              "tenant and user are 1-128 characters of A-Z a-z 0-9 . _ @ + -");
      }
      if (!request.body.empty() && !is_json(request.content_type)) {
        return error_response(400, "invalid_request",
                              "a request body must be Content-Type: application/json");
      }
      JsonBody body;
      static constexpr std::string_view kTwoFactorFields[] = {"enabled", "reason", "until"};
      static constexpr std::string_view kEnrollFields[] = {"algorithm", "digits", "period",
                                                           "replace"};
      static constexpr std::string_view kCodeFields[] = {"code"};
      static constexpr std::string_view kBulkFields[] = {"users", "enabled", "reason", "until"};
      static constexpr std::string_view kEmailFields[] = {"email"};
      static constexpr std::string_view kDeviceFields[] = {"name", "public_key"};
      static constexpr std::string_view kChallengeFields[] = {"origin", "ip", "user_agent"};
      static constexpr std::string_view kAnswerFields[] = {"device_id", "decision", "number",
                                                           "signature"};
      std::span<const std::string_view> fields;
      if (route->id == RouteId::two_factor) fields = kTwoFactorFields;
      if (route->id == RouteId::totp && request.method == "POST") fields = kEnrollFields;
      if (route->id == RouteId::totp_confirm || route->id == RouteId::verify) fields = kCodeFields;
      if (route->id == RouteId::bulk) fields = kBulkFields;
      if (route->id == RouteId::email_code) fields = kEmailFields;
      if (route->id == RouteId::devices) fields = kDeviceFields;
      if (route->id == RouteId::challenges) fields = kChallengeFields;
      if (route->id == RouteId::challenge_response) fields = kAnswerFields;
      if (route->id == RouteId::challenge_code) fields = kCodeFields;
      if (auto parsed = body.parse(request.body, fields); !parsed) {
        return bad_request(parsed.error());
      }
      const Call call{*service_, *route, caller, body, *metrics_, request.target};
      switch (route->id) {
        case RouteId::health:
          return health(call, version_, kek_rotation_.get());
        case RouteId::kek_rotation:
          return kek_rotation(call, request.method == "POST", kek_rotation_.get());
        case RouteId::metrics:
          return scrape(call);
        case RouteId::user:
          return user(call);
        case RouteId::two_factor:
          return two_factor(call);
        case RouteId::unlock:
          return unlock(call);
        case RouteId::totp:
          if (request.method == "GET") return totp_state(call);
          if (request.method == "POST") return enroll(call);
          return delete_totp(call);
        case RouteId::totp_pairing:
          return pairing(call);
        case RouteId::totp_confirm:
          return confirm(call);
        case RouteId::verify:
          return verify(call);
        case RouteId::bulk:
          return bulk(call);
        case RouteId::email_code:
          return email_code(call);
        case RouteId::devices:
          return request.method == "GET" ? list_devices(call) : register_device(call);
        case RouteId::device:
          return delete_device(call);
        case RouteId::challenges:
          return create_challenge(call);
        case RouteId::challenge:
          return challenge_state(call);
        case RouteId::device_challenges:
          return device_challenges(call);
        case RouteId::challenge_response:
          return challenge_response(call);
        case RouteId::challenge_code:
          return challenge_code(call);
      }
      return error_response(404, "not_found", "no such route");
    }();
  } catch (const std::exception& e) {
    spdlog::error("request {}: unexpected exception: {}", caller.request_id, e.what());
    response = error_response(500, "internal", "internal error");
  }
  response.request_id = caller.request_id;
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  metrics_->observe_request(route_name, method_label(request.method), response.status,
                            elapsed.count());
  spdlog::debug("request {}: {} {} -> {}", caller.request_id, method_label(request.method),
                route_name, response.status);
  return response;
}

}  // namespace hsm2fa::http
