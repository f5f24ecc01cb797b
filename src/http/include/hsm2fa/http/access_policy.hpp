// Who may call what (API.md): roles from the peer's uid/gid, hierarchical
// (admin > enroller > verifier).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "hsm2fa/http/exchange.hpp"

namespace hsm2fa::http {

enum class Role : unsigned { verifier = 1, enroller = 2, admin = 4 };

// A set of roles with the hierarchy already applied: has(verifier) holds for an admin.
class Roles {
 public:
  Roles() = default;
  static Roles of(Role role);
  Roles& add(Role role);
  bool has(Role role) const noexcept { return (bits_ & static_cast<unsigned>(role)) != 0; }
  bool any() const noexcept { return bits_ != 0; }

 private:
  unsigned bits_ = 0;
};

struct RoleGrant {
  std::vector<std::uint32_t> uids;
  std::vector<std::uint32_t> gids;
};

struct AccessConfig {
  // false: no [access] section; then root and the daemon's own uid get every role, nobody else
  // gets any.
  bool configured = false;
  RoleGrant admin, enroller, verifier;
  // Every loopback TCP client gets these: TCP carries no peer identity until mTLS exists, so
  // the default is none.
  Roles tcp_roles;
};

class AccessPolicy {
 public:
  AccessPolicy(AccessConfig config, std::uint32_t daemon_uid)
      : config_(std::move(config)), daemon_uid_(daemon_uid) {}
  Roles roles(const Peer& peer) const;

 private:
  AccessConfig config_;
  std::uint32_t daemon_uid_;
};

std::optional<Role> parse_role(std::string_view name) noexcept;  // "admin", "enroller", "verifier"

}  // namespace hsm2fa::http
