// The use cases behind API v1, transport-free: enroll, pairing export, confirm, delete, verify,
// the user view and the admin switch. Blocking (token and database calls): callers run it off
// their I/O threads. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hsm2fa/clock.hpp"
#include "hsm2fa/hmac_oracle.hpp"
#include "hsm2fa/result.hpp"
#include "hsm2fa/secret.hpp"
#include "hsm2fa/seed_vault.hpp"
#include "hsm2fa/service/audit_sink.hpp"
#include "hsm2fa/service/change_feed.hpp"
#include "hsm2fa/service/flow_ports.hpp"
#include "hsm2fa/store.hpp"
#include "hsm2fa/throttle.hpp"

namespace hsm2fa::service {

enum class ExportPolicy { until_confirmed, never, always };

enum class EmailDelivery { smtp, caller };

// Email codes ("Send New Code"). Email is the weaker factor: NIST SP 800-63B (5.1.3.1) does not
// accept email as an out-of-band authenticator, since the inbox is reachable with a password
// alone. A tenant offers it only when it turns it on.
struct EmailPolicy {
  bool enabled = false;
  int digits = 6;                         // 6 or 8
  std::chrono::seconds ttl{600};          // 5 s .. 1 h (the low end is for tests)
  int max_attempts = 3;                   // wrong codes that kill the live code: 1..10
  std::chrono::seconds resend_after{60};  // cool-down between codes: 0 .. ttl
  EmailDelivery delivery = EmailDelivery::smtp;
};

// Push approval. Challenges are short-lived and rate-limited per user against push bombing.
struct PushPolicy {
  std::chrono::seconds challenge_ttl{120};  // 10 s .. 600 s
  bool number_matching = false;             // the device must pick the number the browser shows
  int max_challenges_per_minute = 5;        // per user: 1..60
};

struct TenantConfig {
  std::string issuer = "hsm2fa";
  EmailPolicy email;
  PushPolicy push;
  HashAlg algorithm = HashAlg::sha1;  // enrollment defaults
  int digits = 6;
  int period = 30;
  ExportPolicy export_policy = ExportPolicy::until_confirmed;
};

// Bounds checked by make_two_factor_service (Errc::config otherwise): tenant names are
// identifiers and include "default"; issuer 1-128 printable bytes without ':'; digits 6 or 8;
// period 15..300 s; window 0..10; pending_ttl 60 s..7 days; throttle.max_failures 1..100,
// free_failures 0..max_failures, base > 0, max_wait >= base, lock_for > 0.
struct ServiceConfig {
  std::map<std::string, TenantConfig, std::less<>> tenants;  // "default" is always present
  int window = 1;                                            // steps accepted either side of now
  std::chrono::seconds pending_ttl{600};
  ThrottlePolicy throttle;
  // Threads allowed inside the token at once (token_permits.hpp), 0..256; 0: no gate.
  int token_concurrency = 0;
};

// Who asked, for the audit record.
struct Caller {
  std::string actor;  // "uid=1000,gid=1000" or a certificate subject
  std::string request_id;
};

struct EnrollRequest {
  std::string tenant;
  std::string user;
  std::optional<HashAlg> algorithm;  // defaults from the tenant
  std::optional<int> digits;
  std::optional<int> period;
  bool replace = false;  // required to re-enroll over an active credential
};

// The pairing code and URI carry the seed: they are secrets, wiped when dropped.
struct Enrollment {
  CredentialState state = CredentialState::pending;
  SecretBytes secret_base32;  // RFC 4648, no padding
  SecretBytes otpauth_uri;
  std::int64_t expires_at = 0;  // Unix seconds; 0 for an active credential (policy "always")
};

struct ConfirmResult {
  bool valid = false;
  CredentialState state = CredentialState::pending;
};

enum class VerifyReason { none, wrong_code, replayed, not_enrolled, expired };
std::string_view to_string(VerifyReason r) noexcept;  // "wrong_code", ...

struct VerifyResult {
  bool valid = false;
  std::string method;  // "totp" or "email" when valid
  VerifyReason reason = VerifyReason::none;
};

enum class TotpStatus { none, pending, active };
std::string_view to_string(TotpStatus s) noexcept;

struct UserView {
  std::string tenant;
  std::string user;
  bool two_factor_enabled = false;
  TotpStatus totp = TotpStatus::none;
  bool email = false;
  int push_devices = 0;
  std::int64_t locked_until = 0;  // Unix seconds; 0: not locked
};

// One entry of a bulk switch, in request order: no error means the user was changed.
struct BulkOutcome {
  std::string user;
  std::optional<Error> error;
};

struct EmailCodeIssued {
  std::int64_t expires_at = 0;    // Unix seconds
  std::int64_t resend_after = 0;  // Unix seconds: no new code before
  EmailDelivery delivery = EmailDelivery::smtp;
  SecretBytes code;  // only with delivery "caller": the backend sends it itself
};

struct DeviceInfo {
  std::string id;
  std::string name;
  std::int64_t created_at = 0;
};

// What the browser's login page showed; bound into the challenge (origin also into the
// signature). origin: 1-253 printable bytes; ip: 0-45; user_agent: 0-512; no line breaks.
struct ChallengeRequest {
  std::string origin;
  std::string ip;
  std::string user_agent;
};

struct ChallengeCreated {
  std::string id;
  std::int64_t expires_at = 0;
  int number = 0;  // number matching: the number the browser shows; 0 when off
};

struct ChallengeStatus {
  std::string tenant;
  std::string user;
  std::string state;   // "pending", "approved", "denied", "expired"
  std::string method;  // "push", "totp", "email" once approved; empty otherwise
};

// A device's signed answer. `signature`: DER ECDSA-P256-SHA256 over push_signed_message().
struct PushAnswer {
  std::string device_id;
  bool approve = false;
  std::optional<int> number;
  std::string signature;
};

// A device's pending challenges, with whose they are (the feed key to wait on).
struct DeviceInbox {
  std::string tenant;
  std::string user;
  std::vector<PushChallenge> challenges;
};

struct ChallengeCodeResult {
  bool valid = false;
  std::string state;
};

// The exact bytes a device signs (API.md): these lines joined by '\n'.
std::string push_signed_message(const PushChallenge& challenge, bool approve,
                                std::optional<int> number);
// "2026-01-31T12:00:00Z", as challenges show expires_at (and as the device signs it).
std::string rfc3339_utc(std::int64_t unix_seconds);

struct Health {
  bool hsm_up = false;
  bool store_up = false;
  bool weaker_custody = false;  // some tenant exports seeds with policy "always"
};

// Errors: invalid_argument (bad identifier, code format, parameters), not_found (unknown tenant),
// conflict, export_locked, rate_limited (retry_after_seconds set), hsm_unavailable,
// store_unavailable, audit_unavailable. Never "valid" without a token HMAC and a durable record.
//
// Every call first checks tenant and user (invalid_argument) and that the tenant is configured
// (not_found). Every call but user() and health() reports its outcome to the AuditSink; a
// success whose audit record fails becomes audit_unavailable.
class TwoFactorService {
 public:
  virtual ~TwoFactorService() = default;

  // Options: digits 6|8, period 15..300 s (invalid_argument otherwise). export_locked when the
  // tenant's policy is "never" (the pairing code could never be shown, so nothing is
  // generated); conflict when active and !replace. A pending enrollment is replaced and its
  // seed destroyed; with replace the active one stays valid until the new one is confirmed.
  // On any failure after generation the new seed is destroyed.
  virtual Result<Enrollment> enroll_totp(const Caller& caller, const EnrollRequest& request) = 0;
  // The pending enrollment (unexpired, policy not "never"), else the active one under policy
  // "always"; export_locked if something is enrolled but may not be shown; not_found if
  // nothing is (an expired pending enrollment counts as nothing).
  virtual Result<Enrollment> pairing(const Caller& caller, std::string_view tenant,
                                     std::string_view user) = 0;
  // Order: throttle (rate_limited, code not evaluated); not_found if nothing is enrolled,
  // conflict if only an active credential exists; code format for the pending credential's
  // digits (invalid_argument, not counted); an expired enrollment answers {valid:false}
  // without evaluating the code or counting a failure; a wrong code counts as a failure. On a
  // match the seed is locked in the token (unless policy "always"), the matched step is spent
  // and the replaced active seed destroyed.
  virtual Result<ConfirmResult> confirm_totp(const Caller& caller, std::string_view tenant,
                                             std::string_view user, std::string_view code) = 0;
  // not_found if nothing is enrolled. The credentials are deleted first; a seed the token then
  // fails to destroy is reported as the vault's error.
  virtual Status delete_totp(const Caller& caller, std::string_view tenant,
                             std::string_view user) = 0;
  // Order: throttle (rate_limited, code not evaluated); code of 6 or 8 ASCII digits
  // (invalid_argument); no active credential -> {valid:false, not_enrolled}, not counted; a
  // code length other than the credential's digits -> invalid_argument. wrong_code and
  // replayed count as failures. Valid only after the token's HMAC matched and the step was
  // durably won by the store's compare-and-set.
  virtual Result<VerifyResult> verify(const Caller& caller, std::string_view tenant,
                                      std::string_view user, std::string_view code) = 0;

  // two_factor_enabled reads as true again once a time-boxed disable has passed its `until`.
  // A pending enrollment past its expiry reads as TotpStatus::none.
  virtual Result<UserView> user(std::string_view tenant, std::string_view user) = 0;
  // Disabling needs a reason (1-1024 printable bytes, not only spaces) else invalid_argument;
  // `until` (Unix seconds, 0 = none, else in the future) time-boxes it. Enabling ignores both.
  virtual Result<UserView> set_two_factor(const Caller& caller, std::string_view tenant,
                                          std::string_view user, bool enabled,
                                          std::string_view reason, std::int64_t until) = 0;
  virtual Result<UserView> unlock(const Caller& caller, std::string_view tenant,
                                  std::string_view user) = 0;
  // The switch for up to kMaxBulkUsers users of one tenant (invalid_argument beyond, or for a
  // disable without a reason, or an `until` in the past: these spoil the whole request). Each
  // entry is judged alone (a bad id is reported in its outcome and never spoils the others);
  // the valid ones are written in one store transaction per batch, and each change is audited.
  virtual Result<std::vector<BulkOutcome>> set_two_factor_bulk(
      const Caller& caller, std::string_view tenant, std::span<const std::string> users,
      bool enabled, std::string_view reason, std::int64_t until) = 0;

  // "Send New Code": a fresh code from the RandomSource, stored only as a token MAC, replacing
  // the user's live code. Errors: conflict when the tenant has email turned off;
  // invalid_argument for a malformed address; rate_limited (retry_after_seconds) before the
  // previous code's cool-down ends; delivery_failed when the relay refused or was unreachable
  // (no code is left live then); hsm_unavailable when the token cannot MAC.
  virtual Result<EmailCodeIssued> send_email_code(const Caller& caller, std::string_view tenant,
                                                  std::string_view user,
                                                  std::string_view email) = 0;

  // Push devices. register: the key must be a PEM SubjectPublicKeyInfo of an EC P-256 key
  // (invalid_argument otherwise); name 1-64 printable bytes. Returns the new device's id.
  virtual Result<std::string> register_device(const Caller& caller, std::string_view tenant,
                                              std::string_view user, std::string_view name,
                                              std::string_view public_key_pem) = 0;
  virtual Result<std::vector<DeviceInfo>> devices(std::string_view tenant,
                                                  std::string_view user) = 0;
  // not_found if the user has no such device.
  virtual Status delete_device(const Caller& caller, std::string_view tenant, std::string_view user,
                               std::string_view device_id) = 0;

  // A login waiting for approval. rate_limited (retry_after_seconds) beyond the tenant's
  // challenges per minute.
  virtual Result<ChallengeCreated> create_challenge(const Caller& caller, std::string_view tenant,
                                                    std::string_view user,
                                                    const ChallengeRequest& request) = 0;
  // not_found for an unknown id. A pending challenge past its expiry reads "expired".
  virtual Result<ChallengeStatus> challenge_status(std::string_view challenge_id) = 0;
  // The pending, unexpired challenges of the device's user; not_found for an unknown device.
  virtual Result<DeviceInbox> device_challenges(std::string_view device_id) = 0;
  // Order: not_found (challenge, or a device not of the challenge's user); conflict when no
  // longer pending or expired; signature_invalid when the signature does not verify (the
  // challenge stays pending); with number matching, an approval with the wrong number denies
  // the challenge and answers conflict. Answered once: a lost race is conflict.
  virtual Result<ChallengeStatus> answer_challenge(const Caller& caller,
                                                   std::string_view challenge_id,
                                                   const PushAnswer& answer) = 0;
  // The fallback: the code is checked exactly as verify() checks it (throttle included); a
  // valid one approves the challenge (method totp or email). conflict when not pending.
  virtual Result<ChallengeCodeResult> challenge_code(const Caller& caller,
                                                     std::string_view challenge_id,
                                                     std::string_view code) = 0;
  // Where challenge changes are published (keys: ChangeFeed::challenge_key / user_key).
  virtual std::shared_ptr<ChangeFeed> change_feed() = 0;

  virtual Health health() = 0;
};

inline constexpr std::size_t kMaxBulkUsers = 10000;

// Validates the config (tenants, digits, window, throttle bounds) once. `hsm_probe` tells
// health() whether the token answers; without one the token counts as down. Without an audit
// sink nothing is recorded (make_no_audit_sink()). `ports` carries the token MAC, the random
// source and the email sender the email and push flows need (FlowPorts documents defaults).
Result<std::unique_ptr<TwoFactorService>> make_two_factor_service(
    ServiceConfig config, std::shared_ptr<SeedVault> vault, std::shared_ptr<Store> store,
    std::shared_ptr<const Clock> clock, std::function<Status()> hsm_probe,
    std::shared_ptr<AuditSink> audit = nullptr, FlowPorts ports = {});

}  // namespace hsm2fa::service
