// The route table of API v1: which paths exist, which methods each takes, and the role each
// method needs. Matching is by path segments; the template (never the raw path, which holds user
// ids) is what metrics and logs see.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "hsm2fa/http/access_policy.hpp"

namespace hsm2fa::http {

enum class RouteId {
  health,
  metrics,
  user,
  two_factor,
  unlock,
  totp,
  totp_pairing,
  totp_confirm,
  verify
};

struct RouteMatch {
  RouteId id;
  std::string_view name;  // the template, e.g. "/v1/tenants/{tenant}/users/{user}/verify"
  std::string tenant;     // percent-decoded, not yet validated
  std::string user;
  bool bad_escape = false;  // a path segment had a malformed %-escape
};

// nullopt: no such route (404).
std::optional<RouteMatch> match_route(std::string_view target);

// The methods a route takes, for the Allow header ("GET, POST").
std::string_view allowed_methods(RouteId id);

// The role a method needs on a route; nullopt: the method is not allowed there (405). An empty
// Roles-equivalent "any role" is expressed as Role::verifier, the least one.
std::optional<Role> required_role(RouteId id, std::string_view method);

// API.md identifiers: 1-128 bytes of [A-Za-z0-9._@+-].
bool valid_identifier(std::string_view s) noexcept;

}  // namespace hsm2fa::http
