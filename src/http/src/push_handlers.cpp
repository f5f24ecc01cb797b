#include <boost/json.hpp>

#include "handler_call.hpp"
#include "response_bodies.hpp"
#include "service_errors.hpp"

namespace hsm2fa::http {
namespace {

namespace json = boost::json;

Response bad_request(std::string_view message) {
  return error_response(400, "invalid_request", message);
}

Response failed(const Call& call, const Error& error) {
  return service_error_response(error, call.caller.request_id);
}

// ?wait=SECONDS, 0..60; absent: 0. nullopt: malformed.
std::optional<int> wait_seconds(std::string_view target) {
  const auto q = target.find('?');
  if (q == std::string_view::npos) return 0;
  std::string_view query = target.substr(q + 1);
  std::optional<int> wait = 0;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.rfind("wait=", 0) != 0) return std::nullopt;  // no other parameter exists
    const std::string_view digits = pair.substr(5);
    if (digits.empty() || digits.size() > 2) return std::nullopt;
    int value = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + (c - '0');
    }
    if (value > 60) return std::nullopt;
    wait = value;
  }
  return wait;
}

// Standard base64 with padding (RFC 4648 section 4); nullopt if malformed.
std::optional<std::string> base64_decode(std::string_view in) {
  if (in.empty() || in.size() % 4 != 0 || in.size() > 256) return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 4) {
    const bool last = i + 4 == in.size();
    const int pad = last ? (in[i + 3] == '=') + (in[i + 2] == '=') : 0;
    if (pad == 1 && in[i + 2] == '=') return std::nullopt;
    std::uint32_t chunk = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = in[i + k];
      int v = 0;
      if (c == '=' && k >= 4 - pad)
        v = 0;
      else if ((v = value(c)) < 0)
        return std::nullopt;
      chunk = chunk << 6 | static_cast<std::uint32_t>(v);
    }
    out += static_cast<char>(chunk >> 16);
    if (pad < 2) out += static_cast<char>(chunk >> 8 & 0xff);
    if (pad < 1) out += static_cast<char>(chunk & 0xff);
  }
  return out;
}

json::object challenge_json(const PushChallenge& c) {
  json::object o{{"challenge_id", c.id},
                 {"nonce", c.nonce},
                 {"tenant", c.tenant},
                 {"user", c.user},
                 {"origin", c.origin},
                 {"ip", c.ip},
                 {"user_agent", c.user_agent},
                 {"created_at", format_rfc3339(c.created_at)},
                 {"expires_at", format_rfc3339(c.expires_at)}};
  if (!c.numbers.empty()) {
    json::array numbers;
    for (int n : c.numbers) numbers.push_back(n);
    o["numbers"] = std::move(numbers);
  }
  return o;
}

Response with_long_poll(Response response, std::string key, std::uint64_t seen, int wait) {
  if (wait > 0) response.long_poll = LongPoll{std::move(key), seen, std::chrono::seconds(wait)};
  return response;
}

}  // namespace

Response register_device(const Call& call) {
  auto name = call.body.string("name");
  auto key = call.body.string("public_key");
  if (!name) return bad_request(name.error().message);
  if (!key) return bad_request(key.error().message);
  if (!*name || !*key) return bad_request("fields \"name\" and \"public_key\" are required");
  auto id =
      call.service.register_device(call.caller, call.route.tenant, call.route.user, **name, **key);
  if (!id) return failed(call, id.error());
  return json_response(201, json::object{{"device_id", *id}});
}

Response list_devices(const Call& call) {
  auto devices = call.service.devices(call.route.tenant, call.route.user);
  if (!devices) return failed(call, devices.error());
  json::array list;
  for (const auto& d : *devices) {
    list.push_back(json::object{
        {"device_id", d.id}, {"name", d.name}, {"created_at", format_rfc3339(d.created_at)}});
  }
  return json_response(200, json::object{{"devices", std::move(list)}});
}

Response delete_device(const Call& call) {
  if (!valid_object_id(call.route.object_id))
    return error_response(404, "not_found", "no such device");
  auto st = call.service.delete_device(call.caller, call.route.tenant, call.route.user,
                                       call.route.object_id);
  if (!st) return failed(call, st.error());
  Response response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

Response create_challenge(const Call& call) {
  auto origin = call.body.string("origin");
  auto ip = call.body.string("ip");
  auto agent = call.body.string("user_agent");
  if (!origin) return bad_request(origin.error().message);
  if (!ip) return bad_request(ip.error().message);
  if (!agent) return bad_request(agent.error().message);
  if (!*origin) return bad_request("field \"origin\" is required");
  const service::ChallengeRequest request{std::string(**origin), std::string(ip->value_or("")),
                                          std::string(agent->value_or(""))};
  auto created =
      call.service.create_challenge(call.caller, call.route.tenant, call.route.user, request);
  if (!created) return failed(call, created.error());
  json::object body{{"challenge_id", created->id},
                    {"expires_at", format_rfc3339(created->expires_at)}};
  if (created->number != 0) body["number"] = created->number;
  return json_response(201, body);
}

Response challenge_state(const Call& call) {
  const auto wait = wait_seconds(call.target);
  if (!wait) return bad_request("\"wait\" is 0 to 60 seconds");
  if (!valid_object_id(call.route.object_id))
    return error_response(404, "not_found", "no such challenge");
  auto feed = call.service.change_feed();
  const std::uint64_t seen = feed ? feed->version() : 0;
  auto status = call.service.challenge_status(call.route.object_id);
  if (!status) return failed(call, status.error());
  json::object body{{"state", status->state}};
  body["method"] = status->method.empty() ? json::value(nullptr) : json::value(status->method);
  Response response = json_response(200, body);
  if (status->state != "pending") return response;
  return with_long_poll(std::move(response),
                        service::ChangeFeed::challenge_key(call.route.object_id), seen, *wait);
}

Response device_challenges(const Call& call) {
  const auto wait = wait_seconds(call.target);
  if (!wait) return bad_request("\"wait\" is 0 to 60 seconds");
  if (!valid_object_id(call.route.object_id))
    return error_response(404, "not_found", "no such device");
  auto feed = call.service.change_feed();
  const std::uint64_t seen = feed ? feed->version() : 0;
  auto pending = call.service.device_challenges(call.route.object_id);
  if (!pending) return failed(call, pending.error());
  json::array list;
  for (const auto& c : pending->challenges) list.push_back(challenge_json(c));
  const bool none = list.empty();
  Response response = json_response(200, json::object{{"challenges", std::move(list)}});
  if (!none) return response;
  return with_long_poll(std::move(response),
                        service::ChangeFeed::user_key(pending->tenant, pending->user), seen, *wait);
}

Response challenge_response(const Call& call) {
  if (!valid_object_id(call.route.object_id))
    return error_response(404, "not_found", "no such challenge");
  auto device = call.body.string("device_id");
  auto decision = call.body.string("decision");
  auto number = call.body.integer("number");
  auto signature = call.body.string("signature");
  if (!device) return bad_request(device.error().message);
  if (!decision) return bad_request(decision.error().message);
  if (!number) return bad_request(number.error().message);
  if (!signature) return bad_request(signature.error().message);
  if (!*device || !*decision || !*signature) {
    return bad_request("fields \"device_id\", \"decision\" and \"signature\" are required");
  }
  if (**decision != "approve" && **decision != "deny") {
    return bad_request("\"decision\" is \"approve\" or \"deny\"");
  }
  if (*number && (**number < 0 || **number > 99)) return bad_request("\"number\" is 0 to 99");
  auto der = base64_decode(**signature);
  if (!der) return bad_request("\"signature\" must be base64 (DER ECDSA)");
  service::PushAnswer answer{
      std::string(**device), **decision == "approve",
      *number ? std::optional<int>(static_cast<int>(**number)) : std::nullopt, std::move(*der)};
  auto status = call.service.answer_challenge(call.caller, call.route.object_id, answer);
  if (!status) return failed(call, status.error());
  return json_response(200, json::object{{"state", status->state}});
}

Response challenge_code(const Call& call) {
  if (!valid_object_id(call.route.object_id))
    return error_response(404, "not_found", "no such challenge");
  auto code = call.body.string("code");
  if (!code) return bad_request(code.error().message);
  if (!*code) return bad_request("field \"code\" is required");
  auto result = call.service.challenge_code(call.caller, call.route.object_id, **code);
  if (!result) return failed(call, result.error());
  return json_response(200, json::object{{"valid", result->valid}, {"state", result->state}});
}

}  // namespace hsm2fa::http
