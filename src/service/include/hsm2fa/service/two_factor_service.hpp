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

struct ServiceConfig {
  std::map<std::string, TenantConfig, std::less<>> tenants;  // "default" is always present
  int window = 1;                                   // steps accepted either side of now
  std::chrono::seconds pending_ttl{600};
  ThrottlePolicy throttle;
};

// Who asked, for the audit record.
struct Caller {
  std::string actor;       // "uid=1000,gid=1000" or a certificate subject
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
  std::int64_t expires_at = 0;  // Unix seconds
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
class TwoFactorService {
 public:
  virtual ~TwoFactorService() = default;

  virtual Result<Enrollment> enroll_totp(const Caller& caller, const EnrollRequest& request) = 0;
  virtual Result<Enrollment> pairing(const Caller& caller, std::string_view tenant,
                                     std::string_view user) = 0;
  virtual Result<ConfirmResult> confirm_totp(const Caller& caller, std::string_view tenant,
                                             std::string_view user, std::string_view code) = 0;
  virtual Status delete_totp(const Caller& caller, std::string_view tenant,
                             std::string_view user) = 0;
  virtual Result<VerifyResult> verify(const Caller& caller, std::string_view tenant,
                                      std::string_view user, std::string_view code) = 0;

  virtual Result<UserView> user(std::string_view tenant, std::string_view user) = 0;
  // Disabling needs a non-empty reason; `until` (Unix seconds, 0 = none) time-boxes it.
  virtual Result<UserView> set_two_factor(const Caller& caller, std::string_view tenant,
                                          std::string_view user, bool enabled,
                                          std::string_view reason, std::int64_t until) = 0;
  virtual Result<UserView> unlock(const Caller& caller, std::string_view tenant,
                                  std::string_view user) = 0;

  virtual Health health() = 0;
};

// Validates the config (tenants, digits, window, throttle bounds) once. `hsm_probe` tells
// health() whether the token answers; without one the token counts as down.
Result<std::unique_ptr<TwoFactorService>> make_two_factor_service(
    ServiceConfig config, std::shared_ptr<SeedVault> vault, std::shared_ptr<Store> store,
    std::shared_ptr<const Clock> clock, std::function<Status()> hsm_probe);

}  // namespace hsm2fa::service
