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
#include <string>
#include <string_view>

#include "hsm2fa/clock.hpp"
#include "hsm2fa/hmac_oracle.hpp"
#include "hsm2fa/result.hpp"
#include "hsm2fa/secret.hpp"
#include "hsm2fa/seed_vault.hpp"
#include "hsm2fa/service/audit_sink.hpp"
#include "hsm2fa/store.hpp"
#include "hsm2fa/throttle.hpp"

namespace hsm2fa::service {

enum class ExportPolicy { until_confirmed, never, always };

struct TenantConfig {
  std::string issuer = "hsm2fa";
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
  std::string method;  // "totp" (later "email") when valid
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

  virtual Health health() = 0;
};

// Validates the config (tenants, digits, window, throttle bounds) once. `hsm_probe` tells
// health() whether the token answers; without one the token counts as down. Without an audit
// sink nothing is recorded (make_no_audit_sink()).
Result<std::unique_ptr<TwoFactorService>> make_two_factor_service(
    ServiceConfig config, std::shared_ptr<SeedVault> vault, std::shared_ptr<Store> store,
    std::shared_ptr<const Clock> clock, std::function<Status()> hsm_probe,
    std::shared_ptr<AuditSink> audit = nullptr);

}  // namespace hsm2fa::service
