// An in-memory Store for service tests: one mutex makes every call atomic, so the replay
// compare-and-set behaves as the real stores' does. Faults and a hook before the CAS on demand.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "hsm2fa/store.hpp"

namespace hsm2fa::testing {

class FakeStore final : public Store {
 public:
  enum class Op { read, put_pending, activate, delete_totp, accept, record_failure, write_user };

  // Every call of `op` fails with store_unavailable until cleared.
  void fail(Op op, bool on = true);
  // Every call of `op` throws (a broken driver); the service must not let it escape.
  void throw_on(Op op) {
    std::lock_guard lock(mutex_);
    throwing_.insert(op);
  }
  // Runs (outside the lock) at the start of every accept_totp_step.
  void before_accept(std::function<void()> hook) { before_accept_ = std::move(hook); }
  int accept_calls() const { return accept_calls_.load(); }
  int failure_calls() const { return failure_calls_.load(); }

  Status ping() override;
  Result<std::vector<TotpCredential>> totp_credentials(std::string_view tenant,
                                                       std::string_view user) override;
  Result<std::vector<TotpCredential>> totp_credentials_after(std::int64_t after_id,
                                                             std::size_t limit) override;
  Result<bool> replace_seed(std::int64_t credential_id, const SeedRef& expected,
                            const SeedRef& replacement) override;
  Result<PendingPut> put_pending_totp(const TotpCredential& pending) override;
  Result<std::optional<SeedRef>> activate_totp(std::int64_t pending_id, const SeedRef& locked,
                                               std::int64_t accepted_step) override;
  Result<std::vector<SeedRef>> delete_totp(std::string_view tenant, std::string_view user) override;
  Result<bool> accept_totp_step(std::int64_t credential_id, std::string_view tenant,
                                std::string_view user, std::int64_t step) override;
  Result<UserState> user_state(std::string_view tenant, std::string_view user) override;
  Result<ThrottleState> record_failure(std::string_view tenant, std::string_view user,
                                       const ThrottlePolicy& policy, std::int64_t now_ms) override;
  Status reset_throttle(std::string_view tenant, std::string_view user) override;
  Status set_two_factor(std::string_view tenant, std::string_view user, bool enabled,
                        std::string_view reason, std::int64_t until) override;
  Status set_two_factor_many(std::string_view tenant, std::span<const std::string> users,
                             bool enabled, std::string_view reason, std::int64_t until) override;
  Result<std::optional<std::int64_t>> put_email_code(const EmailCode& code,
                                                     std::int64_t cooldown_s) override;
  Result<std::optional<EmailCode>> email_code(std::string_view tenant,
                                              std::string_view user) override;
  Result<bool> take_email_code(std::string_view tenant, std::string_view user,
                               std::string_view mac) override;
  Result<int> count_email_attempt(std::string_view tenant, std::string_view user,
                                  std::string_view mac, int max_attempts) override;
  Status delete_email_code(std::string_view tenant, std::string_view user,
                           std::string_view mac) override;
  Status add_device(const PushDevice& device) override;
  Result<std::vector<PushDevice>> devices(std::string_view tenant, std::string_view user) override;
  Result<std::optional<PushDevice>> device(std::string_view id) override;
  Result<bool> delete_device(std::string_view tenant, std::string_view user,
                             std::string_view id) override;
  Result<std::optional<std::int64_t>> add_challenge(const PushChallenge& challenge, int max_recent,
                                                    std::int64_t recent_since,
                                                    std::int64_t window_s) override;
  Result<std::optional<PushChallenge>> challenge(std::string_view id) override;
  Result<std::vector<PushChallenge>> pending_challenges(std::string_view tenant,
                                                        std::string_view user,
                                                        std::int64_t now) override;
  Result<bool> answer_challenge(std::string_view id, ChallengeState state, std::string_view method,
                                std::string_view device_id, std::int64_t now) override;

 private:
  using UserKey = std::pair<std::string, std::string>;
  Status check(Op op) const;

  mutable std::mutex mutex_;
  std::map<std::int64_t, TotpCredential> credentials_;
  std::map<UserKey, UserState> users_;
  std::map<UserKey, EmailCode> email_codes_;
  std::map<std::string, PushDevice, std::less<>> devices_;
  std::map<std::string, PushChallenge, std::less<>> challenges_;
  std::set<Op> failing_;
  std::set<Op> throwing_;
  std::int64_t next_id_ = 1;
  std::function<void()> before_accept_;
  std::atomic<int> accept_calls_{0};
  std::atomic<int> failure_calls_{0};
};

}  // namespace hsm2fa::testing
