#include "hsm2fa/http/access_policy.hpp"

#include <algorithm>

namespace hsm2fa::http {

Roles Roles::of(Role role) { return Roles().add(role); }

Roles& Roles::add(Role role) {
  switch (role) {
    case Role::admin:
      bits_ |= static_cast<unsigned>(Role::admin);
      [[fallthrough]];
    case Role::enroller:
      bits_ |= static_cast<unsigned>(Role::enroller);
      [[fallthrough]];
    case Role::verifier:
      bits_ |= static_cast<unsigned>(Role::verifier);
  }
  return *this;
}

namespace {

bool granted(const RoleGrant& grant, const Peer& peer) {
  auto contains = [](const std::vector<std::uint32_t>& ids, std::uint32_t id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  };
  return (peer.uid && contains(grant.uids, *peer.uid)) ||
         (peer.gid && contains(grant.gids, *peer.gid));
}

}  // namespace

Roles AccessPolicy::roles(const Peer& peer) const {
  if (peer.transport == Peer::Transport::tcp) return config_.tcp_roles;
  Roles roles;
  if (!peer.uid) return roles;
  if (!config_.configured) {
    if (*peer.uid == 0 || *peer.uid == daemon_uid_) roles.add(Role::admin);
    return roles;
  }
  if (granted(config_.admin, peer)) roles.add(Role::admin);
  if (granted(config_.enroller, peer)) roles.add(Role::enroller);
  if (granted(config_.verifier, peer)) roles.add(Role::verifier);
  return roles;
}

std::optional<Role> parse_role(std::string_view name) noexcept {
  if (name == "admin") return Role::admin;
  if (name == "enroller") return Role::enroller;
  if (name == "verifier") return Role::verifier;
  return std::nullopt;
}

}  // namespace hsm2fa::http
