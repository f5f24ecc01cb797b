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
  verify,
  bulk,  // /v1/tenants/{tenant}/two-factor/bulk: no user in the path
  email_code,
  devices,             // .../users/{user}/devices
  device,              // .../users/{user}/devices/{id}
  challenges,          // .../users/{user}/challenges
  challenge,           // /v1/challenges/{id}: no tenant or user in the path
  challenge_response,  // /v1/challenges/{id}/response
  challenge_code,      // /v1/challenges/{id}/code
  device_challenges,   // /v1/devices/{id}/challenges
  kek_rotation,        // /v1/admin/kek-rotation: no tenant or user in the path
};

// Routes whose path names neither tenant nor user (only an id).
bool is_id_route(RouteId id) noexcept;

struct RouteMatch {
  RouteId id;
  std::string_view name;  // the template, e.g. "/v1/tenants/{tenant}/users/{user}/verify"
  std::string tenant;     // percent-decoded, not yet validated
  std::string user;
  std::string object_id;    // a device or challenge id, when the route has one
  bool bad_escape = false;  // a path segment had a malformed %-escape
};

// The bulk route takes bodies up to kBulkBodyLimit; every other one up to kBodyLimit. Decided
// from the target alone, before the body is read.
bool is_bulk_target(std::string_view target);

// nullopt: no such route (404).
std::optional<RouteMatch> match_route(std::string_view target);

// The methods a route takes, for the Allow header ("GET, POST").
std::string_view allowed_methods(RouteId id);

// The role a method needs on a route; nullopt: the method is not allowed there (405). An empty
// Roles-equivalent "any role" is expressed as Role::verifier, the least one.
std::optional<Role> required_role(RouteId id, std::string_view method);

// Device and challenge ids: 32 lower-case hex digits.
bool valid_object_id(std::string_view s) noexcept;

// API.md identifiers: 1-128 bytes of [A-Za-z0-9._@+-].
bool valid_identifier(std::string_view s) noexcept;

}  // namespace hsm2fa::http
