#include "fake_store.hpp"

#include <stdexcept>

namespace hsm2fa::testing {
namespace {

bool owned_by(const TotpCredential& c, std::string_view tenant, std::string_view user) {
  return c.tenant == tenant && c.user == user;
}

}  // namespace

void FakeStore::fail(Op op, bool on) {
  std::lock_guard lock(mutex_);
  if (on) {
    failing_.insert(op);
  } else {
    failing_.erase(op);
  }
}

Status FakeStore::check(Op op) const {
  if (throwing_.contains(op)) throw std::runtime_error("fake driver exploded");
  if (failing_.contains(op)) return make_error(Errc::store_unavailable, "fake store down");
  return {};
}

Status FakeStore::ping() {
  std::lock_guard lock(mutex_);
  return check(Op::read);
}

Result<std::vector<TotpCredential>> FakeStore::totp_credentials(std::string_view tenant,
                                                                std::string_view user) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::read); !st) return std::move(st).error();
  std::vector<TotpCredential> out;
  for (const auto& [id, c] : credentials_) {
    if (owned_by(c, tenant, user)) out.push_back(c);
  }
  return out;
}

Result<std::vector<TotpCredential>> FakeStore::totp_credentials_after(std::int64_t after_id,
                                                                      std::size_t limit) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::read); !st) return std::move(st).error();
  std::vector<TotpCredential> out;
  for (auto it = credentials_.upper_bound(after_id); it != credentials_.end() && out.size() < limit;
       ++it) {
    out.push_back(it->second);
  }
  return out;
}

Result<bool> FakeStore::replace_seed(std::int64_t credential_id, const SeedRef& expected,
                                     const SeedRef& replacement) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::activate); !st) return std::move(st).error();
  auto it = credentials_.find(credential_id);
  if (it == credentials_.end() || it->second.seed != expected) return false;
  it->second.seed = replacement;
  return true;
}

Result<PendingPut> FakeStore::put_pending_totp(const TotpCredential& pending) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::put_pending); !st) return std::move(st).error();
  PendingPut put;
  for (auto it = credentials_.begin(); it != credentials_.end(); ++it) {
    if (owned_by(it->second, pending.tenant, pending.user) &&
        it->second.state == CredentialState::pending) {
      put.replaced = it->second.seed;
      credentials_.erase(it);
      break;
    }
  }
  put.id = next_id_++;
  TotpCredential stored = pending;
  stored.id = put.id;
  stored.state = CredentialState::pending;
  credentials_[put.id] = stored;
  return put;
}

Result<std::optional<SeedRef>> FakeStore::activate_totp(std::int64_t pending_id,
                                                        const SeedRef& locked,
                                                        std::int64_t accepted_step) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::activate); !st) return std::move(st).error();
  auto it = credentials_.find(pending_id);
  if (it == credentials_.end() || it->second.state != CredentialState::pending) {
    return make_error(Errc::conflict, "not pending");
  }
  std::optional<SeedRef> replaced;
  for (auto old = credentials_.begin(); old != credentials_.end(); ++old) {
    if (owned_by(old->second, it->second.tenant, it->second.user) &&
        old->second.state == CredentialState::active) {
      replaced = old->second.seed;
      credentials_.erase(old);
      break;
    }
  }
  it->second.state = CredentialState::active;
  it->second.seed = locked;
  it->second.last_step = accepted_step;
  return replaced;
}

Result<std::vector<SeedRef>> FakeStore::delete_totp(std::string_view tenant,
                                                    std::string_view user) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::delete_totp); !st) return std::move(st).error();
  std::vector<SeedRef> seeds;
  std::erase_if(credentials_, [&](const auto& entry) {
    if (!owned_by(entry.second, tenant, user)) return false;
    seeds.push_back(entry.second.seed);
    return true;
  });
  return seeds;
}

Result<bool> FakeStore::accept_totp_step(std::int64_t credential_id, std::string_view tenant,
                                         std::string_view user, std::int64_t step) {
  ++accept_calls_;
  if (before_accept_) before_accept_();
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::accept); !st) return std::move(st).error();
  auto it = credentials_.find(credential_id);
  if (it == credentials_.end()) return make_error(Errc::not_found, "no such credential");
  if (it->second.last_step >= step) return false;
  it->second.last_step = step;
  users_[{std::string(tenant), std::string(user)}].throttle = {};
  return true;
}

Result<UserState> FakeStore::user_state(std::string_view tenant, std::string_view user) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::read); !st) return std::move(st).error();
  auto it = users_.find({std::string(tenant), std::string(user)});
  return it == users_.end() ? UserState{} : it->second;
}

Result<ThrottleState> FakeStore::record_failure(std::string_view tenant, std::string_view user,
                                                const ThrottlePolicy& policy, std::int64_t now_ms) {
  ++failure_calls_;
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::record_failure); !st) return std::move(st).error();
  auto& state = users_[{std::string(tenant), std::string(user)}].throttle;
  state = after_failure(state, policy, now_ms);
  return state;
}

Status FakeStore::reset_throttle(std::string_view tenant, std::string_view user) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::write_user); !st) return st;
  users_[{std::string(tenant), std::string(user)}].throttle = {};
  return {};
}

Status FakeStore::set_two_factor(std::string_view tenant, std::string_view user, bool enabled,
                                 std::string_view reason, std::int64_t until) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::write_user); !st) return st;
  auto& state = users_[{std::string(tenant), std::string(user)}];
  state.two_factor_enabled = enabled;
  state.disabled_reason = std::string(reason);
  state.disabled_until = until;
  return {};
}

Status FakeStore::set_two_factor_many(std::string_view tenant, std::span<const std::string> users,
                                      bool enabled, std::string_view reason, std::int64_t until) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::write_user); !st) return st;
  for (const auto& user : users) {
    auto& state = users_[{std::string(tenant), user}];
    state.two_factor_enabled = enabled;
    state.disabled_reason = std::string(reason);
    state.disabled_until = until;
  }
  return {};
}

Result<std::optional<std::int64_t>> FakeStore::put_email_code(const EmailCode& code,
                                                              std::int64_t cooldown_s) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::write_user); !st) return std::move(st).error();
  auto& slot = email_codes_[{code.tenant, code.user}];
  if (!slot.mac.empty() && slot.issued_at + cooldown_s > code.issued_at) {
    return std::optional<std::int64_t>(slot.issued_at + cooldown_s);
  }
  slot = code;
  slot.attempts = 0;
  return std::optional<std::int64_t>();
}

Result<std::optional<EmailCode>> FakeStore::email_code(std::string_view tenant,
                                                       std::string_view user) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::read); !st) return std::move(st).error();
  auto it = email_codes_.find({std::string(tenant), std::string(user)});
  if (it == email_codes_.end() || it->second.mac.empty()) return std::optional<EmailCode>();
  return std::optional<EmailCode>(it->second);
}

Result<bool> FakeStore::take_email_code(std::string_view tenant, std::string_view user,
                                        std::string_view mac) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::accept); !st) return std::move(st).error();
  auto it = email_codes_.find({std::string(tenant), std::string(user)});
  if (it == email_codes_.end() || it->second.mac != mac) return false;
  email_codes_.erase(it);
  users_[{std::string(tenant), std::string(user)}].throttle = {};
  return true;
}

Result<int> FakeStore::count_email_attempt(std::string_view tenant, std::string_view user,
                                           std::string_view mac, int max_attempts) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::record_failure); !st) return std::move(st).error();
  auto it = email_codes_.find({std::string(tenant), std::string(user)});
  if (it == email_codes_.end() || it->second.mac != mac) return 0;
  const int attempts = ++it->second.attempts;
  if (attempts >= max_attempts) email_codes_.erase(it);
  return attempts;
}

Status FakeStore::delete_email_code(std::string_view tenant, std::string_view user,
                                    std::string_view mac) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::write_user); !st) return st;
  auto it = email_codes_.find({std::string(tenant), std::string(user)});
  if (it != email_codes_.end() && it->second.mac == mac) email_codes_.erase(it);
  return {};
}

Status FakeStore::add_device(const PushDevice& device) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::write_user); !st) return st;
  if (!devices_.emplace(device.id, device).second) return make_error(Errc::conflict, "exists");
  return {};
}

Result<std::vector<PushDevice>> FakeStore::devices(std::string_view tenant, std::string_view user) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::read); !st) return std::move(st).error();
  std::vector<PushDevice> out;
  for (const auto& [id, d] : devices_) {
    if (d.tenant == tenant && d.user == user) out.push_back(d);
  }
  return out;
}

Result<std::optional<PushDevice>> FakeStore::device(std::string_view id) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::read); !st) return std::move(st).error();
  auto it = devices_.find(id);
  if (it == devices_.end()) return std::optional<PushDevice>();
  return std::optional<PushDevice>(it->second);
}

Result<bool> FakeStore::delete_device(std::string_view tenant, std::string_view user,
                                      std::string_view id) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::write_user); !st) return std::move(st).error();
  auto it = devices_.find(id);
  if (it == devices_.end() || it->second.tenant != tenant || it->second.user != user) return false;
  devices_.erase(it);
  return true;
}

Result<std::optional<std::int64_t>> FakeStore::add_challenge(const PushChallenge& challenge,
                                                             int max_recent,
                                                             std::int64_t recent_since,
                                                             std::int64_t window_s) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::write_user); !st) return std::move(st).error();
  int recent = 0;
  std::int64_t oldest = 0;
  for (const auto& [id, c] : challenges_) {
    if (c.tenant == challenge.tenant && c.user == challenge.user && c.created_at >= recent_since) {
      if (recent++ == 0 || c.created_at < oldest) oldest = c.created_at;
    }
  }
  if (recent >= max_recent) return std::optional<std::int64_t>(oldest + window_s);
  challenges_.emplace(challenge.id, challenge);
  return std::optional<std::int64_t>();
}

Result<std::optional<PushChallenge>> FakeStore::challenge(std::string_view id) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::read); !st) return std::move(st).error();
  auto it = challenges_.find(id);
  if (it == challenges_.end()) return std::optional<PushChallenge>();
  return std::optional<PushChallenge>(it->second);
}

Result<std::vector<PushChallenge>> FakeStore::pending_challenges(std::string_view tenant,
                                                                 std::string_view user,
                                                                 std::int64_t now) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::read); !st) return std::move(st).error();
  std::vector<PushChallenge> out;
  for (const auto& [id, c] : challenges_) {
    if (c.tenant == tenant && c.user == user && c.state == ChallengeState::pending &&
        c.expires_at > now) {
      out.push_back(c);
    }
  }
  return out;
}

Result<bool> FakeStore::answer_challenge(std::string_view id, ChallengeState state,
                                         std::string_view method, std::string_view device_id,
                                         std::int64_t now) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::accept); !st) return std::move(st).error();
  auto it = challenges_.find(id);
  if (it == challenges_.end() || it->second.state != ChallengeState::pending ||
      it->second.expires_at <= now) {
    return false;
  }
  it->second.state = state;
  it->second.method = std::string(method);
  it->second.device_id = std::string(device_id);
  return true;
}

}  // namespace hsm2fa::testing
