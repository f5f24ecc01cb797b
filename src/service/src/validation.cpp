#include "validation.hpp"

#include <string>

namespace hsm2fa::service {
namespace {

bool is_identifier_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '@' || c == '+' || c == '-';
}

// The issuer is shown by authenticator apps and sits before the ':' of the otpauth label, so
// it must be printable and must not contain the separator itself.
bool is_issuer(std::string_view s) noexcept {
  if (s.empty() || s.size() > 128) return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f || c == ':') return false;
  }
  return true;
}

Status config_error(std::string message) { return make_error(Errc::config, std::move(message)); }

Status validate_tenant(const std::string& name, const TenantConfig& tenant) {
  const std::string where = "tenant \"" + name + "\": ";
  if (!is_identifier(name)) return config_error("invalid tenant name");
  if (!is_issuer(tenant.issuer))
    return config_error(where + "issuer must be 1-128 printable bytes without ':'");
  if (!is_digits(tenant.digits)) return config_error(where + "digits must be 6 or 8");
  if (!is_period(tenant.period)) return config_error(where + "period must be 15..300 seconds");
  const EmailPolicy& email = tenant.email;
  if (!is_digits(email.digits)) return config_error(where + "email.digits must be 6 or 8");
  if (email.ttl.count() < 5 || email.ttl.count() > 3600) {
    return config_error(where + "email.ttl must be 5 s..1 h");
  }
  if (email.max_attempts < 1 || email.max_attempts > 10) {
    return config_error(where + "email.max_attempts must be 1..10");
  }
  if (email.resend_after.count() < 0 || email.resend_after > email.ttl) {
    return config_error(where + "email.resend_after must be 0..ttl");
  }
  if (tenant.push.challenge_ttl.count() < 10 || tenant.push.challenge_ttl.count() > 600) {
    return config_error(where + "push.challenge_ttl must be 10 s..10 min");
  }
  if (tenant.push.max_challenges_per_minute < 1 || tenant.push.max_challenges_per_minute > 60) {
    return config_error(where + "push.max_challenges_per_minute must be 1..60");
  }
  return {};
}

Status validate_throttle(const ThrottlePolicy& t) {
  if (t.max_failures < 1 || t.max_failures > 100) {
    return config_error("throttle.max_failures must be 1..100");
  }
  if (t.free_failures < 0 || t.free_failures > t.max_failures) {
    return config_error("throttle.free_failures must be 0..max_failures");
  }
  if (t.base.count() <= 0 || t.max_wait < t.base) {
    return config_error("throttle: base must be > 0 and max_wait >= base");
  }
  if (t.lock_for.count() <= 0) return config_error("throttle.lock_for must be > 0");
  return {};
}

}  // namespace

bool is_identifier(std::string_view s) noexcept {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    if (!is_identifier_char(c)) return false;
  }
  return true;
}

bool is_code_format(std::string_view code) noexcept {
  if (code.size() != 6 && code.size() != 8) return false;
  for (char c : code) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool is_digits(int digits) noexcept { return digits == 6 || digits == 8; }

bool is_reason(std::string_view reason) noexcept {
  if (reason.empty() || reason.size() > kMaxReasonBytes) return false;
  for (unsigned char c : reason) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return reason.find_first_not_of(' ') != std::string_view::npos;
}

bool is_email_address(std::string_view address) noexcept {
  if (address.size() < 3 || address.size() > 254) return false;
  const auto at = address.rfind('@');
  if (at == 0 || at == std::string_view::npos || at + 1 == address.size()) return false;
  if (address.find('@') != at) return false;
  for (unsigned char c : address) {
    if (c <= 0x20 || c >= 0x7f) return false;
    if (c == '"' || c == '<' || c == '>' || c == '(' || c == ')' || c == ',' || c == ';' ||
        c == '\\' || c == '[' || c == ']')
      return false;
  }
  const std::string_view domain = address.substr(at + 1);
  return domain.front() != '.' && domain.back() != '.' &&
         domain.find("..") == std::string_view::npos;
}
bool is_period(int period) noexcept { return period >= kMinPeriod && period <= kMaxPeriod; }

Status validate_config(const ServiceConfig& config) {
  if (!config.tenants.contains("default")) return config_error("tenant \"default\" is missing");
  for (const auto& [name, tenant] : config.tenants) {
    if (auto st = validate_tenant(name, tenant); !st) return st;
  }
  if (config.token_concurrency < 0 || config.token_concurrency > 256) {
    return config_error("hsm.token_concurrency must be 0..256");
  }
  if (config.window < 0 || config.window > kMaxWindow) {
    return config_error("totp.window must be 0..10");
  }
  if (config.pending_ttl.count() < 60 || config.pending_ttl.count() > 7 * 24 * 3600) {
    return config_error("totp.pending_ttl must be 60 s..7 days");
  }
  return validate_throttle(config.throttle);
}

}  // namespace hsm2fa::service
