// Durable state: credentials, replay high-water marks, throttle counters, users' 2FA switch.
// Implementations: SQLite (embedded default) and PostgreSQL (shared by several instances).
// Every mutating call is durable before it returns ok. All calls are thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
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

// A one-time email code ("Send New Code"): at most one per user, stored only as a token MAC over
// the code and what it is bound to, never as the code itself.
struct EmailCode {
  std::string tenant;
  std::string user;
  std::string mac;              // lower-case hex; identifies this code
  std::int64_t issued_at = 0;   // Unix seconds
  std::int64_t expires_at = 0;  // Unix seconds; not accepted from this second on
  int attempts = 0;             // failed verifications counted against this code
};

// A phone registered for push approval: its EC P-256 public key (PEM SubjectPublicKeyInfo).
struct PushDevice {
  std::string id;  // random, 32 hex digits
  std::string tenant;
  std::string user;
  std::string name;
  std::string public_key_pem;
  std::int64_t created_at = 0;
};

enum class ChallengeState { pending, approved, denied };

// A login waiting for approval, bound to what the browser showed. Expiry is read against the
// clock (a pending challenge past expires_at is expired); the stored state never says so.
struct PushChallenge {
  std::string id;  // random, 32 hex digits
  std::string tenant;
  std::string user;
  std::string origin;
  std::string ip;
  std::string user_agent;
  std::string nonce;         // random, 32 hex digits
  int number = 0;            // number matching: the right number; 0 when off
  std::vector<int> numbers;  // the right one among decoys, as shown to the device
  std::int64_t created_at = 0;
  std::int64_t expires_at = 0;
  ChallengeState state = ChallengeState::pending;
  std::string method;     // "push", "totp" or "email" once answered
  std::string device_id;  // the device that answered a push
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
  // Every tenant's TOTP credentials with id > `after_id`, by ascending id, at most `limit`:
  // a page of a full scan (the key report, KEK rotation). A store that cannot list answers
  // Errc::internal, so a caller never mistakes "cannot" for "none".
  virtual Result<std::vector<TotpCredential>> totp_credentials_after(std::int64_t after_id,
                                                                     std::size_t limit) {
    (void)after_id;
    (void)limit;
    return make_error(Errc::internal, "this store cannot list credentials");
  }
  // Bulk path (migration, the scale bench): inserts `credentials` as given (state, seed, step;
  // ids are assigned), in transactions of at most kImportBatchRows rows, each durable before the
  // next starts. All or nothing per transaction: on an error (conflict if a user already has a
  // credential in that state, invalid_argument for an empty tenant, user or seed) the earlier
  // transactions stay committed and the answer is the error. No seed is returned or destroyed.
  static constexpr std::size_t kImportBatchRows = 10000;
  virtual Status import_totp_batch(std::span<const TotpCredential> credentials) {
    (void)credentials;
    return make_error(Errc::internal, "this store cannot import credentials in bulk");
  }

  // KEK rotation's compare-and-set: the credential's seed ref becomes `replacement` only if it
  // is still exactly `expected` (a concurrent confirm, re-enrollment or delete wins). true: this
  // call replaced it; false: the ref had changed or the credential is gone. A store that cannot
  // answers Errc::internal.
  virtual Result<bool> replace_seed(std::int64_t credential_id, const SeedRef& expected,
                                    const SeedRef& replacement) {
    (void)credential_id;
    (void)expected;
    (void)replacement;
    return make_error(Errc::internal, "this store cannot replace seed refs");
  }
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
  // The same switch for many users of one tenant in one transaction: all or none. The caller
  // validates the ids (none empty) and keeps batches to a sensible size.
  virtual Status set_two_factor_many(std::string_view tenant, std::span<const std::string> users,
                                     bool enabled, std::string_view reason, std::int64_t until) = 0;

  // Stores `code` as the user's only live email code, replacing the previous one, unless the
  // previous one was issued less than `cooldown_s` seconds before `code.issued_at`: then nothing
  // changes and the answer is the time (Unix seconds) from which a new code may be issued.
  // nullopt: stored. Check and replacement are one atomic step.
  virtual Result<std::optional<std::int64_t>> put_email_code(const EmailCode& code,
                                                             std::int64_t cooldown_s) = 0;
  // The user's live code, expired or not (nullopt: none).
  virtual Result<std::optional<EmailCode>> email_code(std::string_view tenant,
                                                      std::string_view user) = 0;
  // Deletes the code identified by `mac` and, in the same transaction, resets the user's
  // throttle. true: this call removed it (the code's one use); false: it was already gone.
  virtual Result<bool> take_email_code(std::string_view tenant, std::string_view user,
                                       std::string_view mac) = 0;
  // Counts one failed attempt against the code identified by `mac`; at `max_attempts` the code
  // is deleted. Returns the new count (0: the code was already gone).
  virtual Result<int> count_email_attempt(std::string_view tenant, std::string_view user,
                                          std::string_view mac, int max_attempts) = 0;
  // Deletes the code identified by `mac`, if it is still there.
  virtual Status delete_email_code(std::string_view tenant, std::string_view user,
                                   std::string_view mac) = 0;

  // Push devices. conflict if the id exists.
  virtual Status add_device(const PushDevice& device) = 0;
  virtual Result<std::vector<PushDevice>> devices(std::string_view tenant,
                                                  std::string_view user) = 0;
  virtual Result<std::optional<PushDevice>> device(std::string_view id) = 0;
  // true: removed; false: the user has no such device.
  virtual Result<bool> delete_device(std::string_view tenant, std::string_view user,
                                     std::string_view id) = 0;

  // Stores a new challenge unless the user already has `max_recent` challenges created at or
  // after `recent_since`: then nothing changes and the answer is the time (Unix seconds) at which
  // the oldest of them leaves the window of `window_s` seconds. nullopt: stored. Atomic.
  virtual Result<std::optional<std::int64_t>> add_challenge(const PushChallenge& challenge,
                                                            int max_recent,
                                                            std::int64_t recent_since,
                                                            std::int64_t window_s) = 0;
  virtual Result<std::optional<PushChallenge>> challenge(std::string_view id) = 0;
  // The user's pending challenges that expire after `now`, oldest first.
  virtual Result<std::vector<PushChallenge>> pending_challenges(std::string_view tenant,
                                                                std::string_view user,
                                                                std::int64_t now) = 0;
  // The single answer: pending -> `state` only while pending and unexpired at `now`. true: this
  // call answered it; false: already answered or expired (nothing changed).
  virtual Result<bool> answer_challenge(std::string_view id, ChallengeState state,
                                        std::string_view method, std::string_view device_id,
                                        std::int64_t now) = 0;
};

}  // namespace hsm2fa
