#include "routes.hpp"

#include <vector>

namespace hsm2fa::http {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.empty() || path.front() != '/') return segments;
  path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

struct UserRoute {
  std::string_view suffix[2];
  RouteId id;
  std::string_view name;
};

constexpr UserRoute kUserRoutes[] = {
    {{"", ""}, RouteId::user, "/v1/tenants/{tenant}/users/{user}"},
    {{"two-factor", ""}, RouteId::two_factor, "/v1/tenants/{tenant}/users/{user}/two-factor"},
    {{"unlock", ""}, RouteId::unlock, "/v1/tenants/{tenant}/users/{user}/unlock"},
    {{"totp", ""}, RouteId::totp, "/v1/tenants/{tenant}/users/{user}/totp"},
    {{"totp", "pairing"}, RouteId::totp_pairing, "/v1/tenants/{tenant}/users/{user}/totp/pairing"},
    {{"totp", "confirm"}, RouteId::totp_confirm, "/v1/tenants/{tenant}/users/{user}/totp/confirm"},
    {{"verify", ""}, RouteId::verify, "/v1/tenants/{tenant}/users/{user}/verify"},
    {{"email-code", ""}, RouteId::email_code, "/v1/tenants/{tenant}/users/{user}/email-code"},
    {{"devices", ""}, RouteId::devices, "/v1/tenants/{tenant}/users/{user}/devices"},
    {{"devices", "*"}, RouteId::device, "/v1/tenants/{tenant}/users/{user}/devices/{id}"},
    {{"challenges", ""}, RouteId::challenges, "/v1/tenants/{tenant}/users/{user}/challenges"},
};

// Routes under /v1/challenges/{id} and /v1/devices/{id}.
std::optional<RouteMatch> match_id_route(const std::vector<std::string_view>& seg) {
  if (seg.size() < 3 || seg.size() > 4 || seg[0] != "v1") return std::nullopt;
  const std::string_view tail = seg.size() == 4 ? seg[3] : "";
  RouteMatch match{RouteId::challenge, {}, {}, {}};
  if (seg[1] == "challenges" && tail.empty()) {
    match.id = RouteId::challenge;
    match.name = "/v1/challenges/{id}";
  } else if (seg[1] == "challenges" && tail == "response") {
    match.id = RouteId::challenge_response;
    match.name = "/v1/challenges/{id}/response";
  } else if (seg[1] == "challenges" && tail == "code") {
    match.id = RouteId::challenge_code;
    match.name = "/v1/challenges/{id}/code";
  } else if (seg[1] == "devices" && tail == "challenges") {
    match.id = RouteId::device_challenges;
    match.name = "/v1/devices/{id}/challenges";
  } else {
    return std::nullopt;
  }
  auto id = percent_decode(seg[2]);
  match.bad_escape = !id;
  if (id) match.object_id = std::move(*id);
  return match;
}

constexpr std::string_view kBulkName = "/v1/tenants/{tenant}/two-factor/bulk";

}  // namespace

std::optional<RouteMatch> match_route(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/v1/health") return RouteMatch{RouteId::health, "/v1/health", {}, {}};
  if (path == "/metrics") return RouteMatch{RouteId::metrics, "/metrics", {}, {}};
  if (path == "/v1/admin/kek-rotation") {
    return RouteMatch{RouteId::kek_rotation, "/v1/admin/kek-rotation", {}, {}};
  }

  const auto seg = split_path(path);
  if (auto by_id = match_id_route(seg)) return by_id;
  if (seg.size() == 5 && seg[0] == "v1" && seg[1] == "tenants" && seg[3] == "two-factor" &&
      seg[4] == "bulk") {
    RouteMatch match{RouteId::bulk, kBulkName, {}, {}};
    auto tenant = percent_decode(seg[2]);
    match.bad_escape = !tenant;
    if (tenant) match.tenant = std::move(*tenant);
    return match;
  }
  if (seg.size() < 5 || seg.size() > 7 || seg[0] != "v1" || seg[1] != "tenants" ||
      seg[3] != "users") {
    return std::nullopt;
  }
  const std::string_view first = seg.size() > 5 ? seg[5] : "";
  const std::string_view second = seg.size() > 6 ? seg[6] : "";
  for (const auto& route : kUserRoutes) {
    const std::size_t want = 5 + !route.suffix[0].empty() + !route.suffix[1].empty();
    const bool any_second = route.suffix[1] == "*";
    if (want != seg.size() || route.suffix[0] != first ||
        (!any_second && route.suffix[1] != second)) {
      continue;
    }
    RouteMatch match{route.id, route.name, {}, {}};
    if (any_second) {
      auto id = percent_decode(second);
      if (!id) match.bad_escape = true;
      if (id) match.object_id = std::move(*id);
    }
    auto tenant = percent_decode(seg[2]);
    auto user = percent_decode(seg[4]);
    match.bad_escape = match.bad_escape || !tenant || !user;
    if (tenant) match.tenant = std::move(*tenant);
    if (user) match.user = std::move(*user);
    return match;
  }
  return std::nullopt;
}

bool is_bulk_target(std::string_view target) {
  const auto route = match_route(target);
  return route && route->id == RouteId::bulk;
}

std::string_view allowed_methods(RouteId id) {
  switch (id) {
    case RouteId::health:
    case RouteId::metrics:
    case RouteId::user:
    case RouteId::totp_pairing:
      return "GET";
    case RouteId::two_factor:
      return "PUT";
    case RouteId::unlock:
    case RouteId::totp_confirm:
    case RouteId::verify:
    case RouteId::bulk:
    case RouteId::email_code:
    case RouteId::challenges:
    case RouteId::challenge_response:
    case RouteId::challenge_code:
      return "POST";
    case RouteId::devices:
    case RouteId::kek_rotation:
      return "GET, POST";
    case RouteId::device:
      return "DELETE";
    case RouteId::challenge:
    case RouteId::device_challenges:
      return "GET";
    case RouteId::totp:
      return "GET, POST, DELETE";
  }
  return "";
}

std::optional<Role> required_role(RouteId id, std::string_view method) {
  const bool get = method == "GET", post = method == "POST";
  switch (id) {
    case RouteId::health:
    case RouteId::metrics:
    case RouteId::user:
      return get ? std::optional(Role::verifier) : std::nullopt;
    case RouteId::two_factor:
      return method == "PUT" ? std::optional(Role::admin) : std::nullopt;
    case RouteId::unlock:
      return post ? std::optional(Role::admin) : std::nullopt;
    case RouteId::totp:
      if (get) return Role::verifier;
      if (post) return Role::enroller;
      if (method == "DELETE") return Role::admin;
      return std::nullopt;
    case RouteId::totp_pairing:
      return get ? std::optional(Role::enroller) : std::nullopt;
    case RouteId::totp_confirm:
      return post ? std::optional(Role::enroller) : std::nullopt;
    case RouteId::verify:
    case RouteId::email_code:
      return post ? std::optional(Role::verifier) : std::nullopt;
    case RouteId::bulk:
      return post ? std::optional(Role::admin) : std::nullopt;
    // Devices talk through the backend, which holds the enroller role: registering, listing,
    // polling for challenges and answering them are enroller routes (API.md's table);
    // removing a device is a DELETE, an admin route.
    case RouteId::devices:
      if (get || post) return Role::enroller;
      return std::nullopt;
    case RouteId::device:
      return method == "DELETE" ? std::optional(Role::admin) : std::nullopt;
    case RouteId::device_challenges:
      return get ? std::optional(Role::enroller) : std::nullopt;
    case RouteId::challenge_response:
      return post ? std::optional(Role::enroller) : std::nullopt;
    case RouteId::challenges:
    case RouteId::challenge_code:
      return post ? std::optional(Role::verifier) : std::nullopt;
    case RouteId::challenge:
      return get ? std::optional(Role::verifier) : std::nullopt;
    case RouteId::kek_rotation:
      return get || post ? std::optional(Role::admin) : std::nullopt;
  }
  return std::nullopt;
}

bool is_id_route(RouteId id) noexcept {
  return id == RouteId::challenge || id == RouteId::challenge_response ||
         id == RouteId::challenge_code || id == RouteId::device_challenges;
}

bool valid_object_id(std::string_view s) noexcept {
  if (s.size() != 32) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool valid_identifier(std::string_view s) noexcept {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '@' || c == '+' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace hsm2fa::http
