// Durable state: credentials, replay high-water marks, throttle counters, users' 2FA switch.
// Implementations: SQLite (embedded default) and PostgreSQL (shared by several instances).
// Every mutating call is durable before it returns ok. All calls are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hsm2fa/hmac_oracle.hpp"
#include "hsm2fa/result.hpp"
#include "hsm2fa/seed_vault.hpp"
#include "hsm2fa/throttle.hpp"

namespace hsm2fa {

enum class CredentialState { pending, active };

struct TotpCredential {
  std::int64_t id = 0;  // assigned by the store
  std::string tenant;
  std::string user;
  CredentialState state = CredentialState::pending;
  SeedRef seed;
  HashAlg alg = HashAlg::sha1;
  int digits = 6;
  int period = 30;
  std::int64_t last_step = -1;  // highest accepted time step; -1: none yet
  std::int64_t created_at = 0;  // Unix seconds
  std::int64_t expires_at = 0;  // pending only: Unix seconds after which it cannot be confirmed
};

struct UserState {
  bool two_factor_enabled = false;
  std::string disabled_reason;      // why an admin disabled it, if they did
  std::int64_t disabled_until = 0;  // Unix seconds; 0: no time box
  ThrottleState throttle;
};

struct PendingPut {
  std::int64_t id = 0;
  std::optional<SeedRef> replaced;  // the pending seed this one replaced: the caller destroys it
};

class Store {
 public:
  virtual ~Store() = default;

  // Reachability, for /v1/health.
  virtual Status ping() = 0;

  // The user's TOTP credentials: at most one pending and one active.
  virtual Result<std::vector<TotpCredential>> totp_credentials(std::string_view tenant,
                                                               std::string_view user) = 0;
  // Stores a new pending credential, replacing the user's pending one if any.
  virtual Result<PendingPut> put_pending_totp(const TotpCredential& pending) = 0;
  // Pending -> active, with the locked seed ref and the step its confirmation code used (so that
  // code cannot be replayed). The user's previous active credential is deleted in the same
  // transaction and its seed returned for destruction. conflict if `pending_id` is not pending.
  virtual Result<std::optional<SeedRef>> activate_totp(std::int64_t pending_id,
                                                       const SeedRef& locked,
                                                       std::int64_t accepted_step) = 0;
  // Deletes every TOTP credential of the user; returns their seeds for destruction.
  virtual Result<std::vector<SeedRef>> delete_totp(std::string_view tenant,
                                                   std::string_view user) = 0;

  // The replay guard: atomically sets last_step = step where last_step < step, and on success
  // resets the user's throttle in the same transaction. true: this call won the step; false:
  // the step (or a later one) was already accepted, by anyone.
  virtual Result<bool> accept_totp_step(std::int64_t credential_id, std::string_view tenant,
                                        std::string_view user, std::int64_t step) = 0;

  // An unknown user is a default UserState (users exist implicitly).
  virtual Result<UserState> user_state(std::string_view tenant, std::string_view user) = 0;
  // Counts one failure atomically (after_failure) and returns the new state.
  virtual Result<ThrottleState> record_failure(std::string_view tenant, std::string_view user,
                                               const ThrottlePolicy& policy,
                                               std::int64_t now_ms) = 0;
  // Clears the failure count and any lock.
  virtual Status reset_throttle(std::string_view tenant, std::string_view user) = 0;
  virtual Status set_two_factor(std::string_view tenant, std::string_view user, bool enabled,
                                std::string_view reason, std::int64_t until) = 0;
};

}  // namespace hsm2fa
