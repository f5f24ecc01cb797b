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
};

}  // namespace

std::optional<RouteMatch> match_route(std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  if (path == "/v1/health") return RouteMatch{RouteId::health, "/v1/health", {}, {}};
  if (path == "/metrics") return RouteMatch{RouteId::metrics, "/metrics", {}, {}};

  const auto seg = split_path(path);
  if (seg.size() < 5 || seg.size() > 7 || seg[0] != "v1" || seg[1] != "tenants" ||
      seg[3] != "users") {
    return std::nullopt;
  }
  const std::string_view first = seg.size() > 5 ? seg[5] : "";
  const std::string_view second = seg.size() > 6 ? seg[6] : "";
  for (const auto& route : kUserRoutes) {
    const std::size_t want = 5 + !route.suffix[0].empty() + !route.suffix[1].empty();
    if (want != seg.size() || route.suffix[0] != first || route.suffix[1] != second) continue;
    RouteMatch match{route.id, route.name, {}, {}};
    auto tenant = percent_decode(seg[2]);
    auto user = percent_decode(seg[4]);
    match.bad_escape = !tenant || !user;
    if (tenant) match.tenant = std::move(*tenant);
    if (user) match.user = std::move(*user);
    return match;
  }
  return std::nullopt;
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
      return "POST";
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
      return post ? std::optional(Role::verifier) : std::nullopt;
  }
  return std::nullopt;
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
