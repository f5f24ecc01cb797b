#include <algorithm>

#include "code_match.hpp"
#include "email_code.hpp"
#include "use_cases.hpp"
#include "validation.hpp"

namespace hsm2fa::service::use_case {
namespace {

VerifyResult invalid(VerifyReason reason) { return VerifyResult{false, {}, reason}; }

// The replay guard: the earliest matched step after the last accepted one must be won by an
// atomic, durable compare-and-set. A lost race is a replay (someone else used this code).
Result<VerifyReason> accept(const ServiceContext& ctx, const TotpCredential& credential,
                            const std::vector<std::int64_t>& steps) {
  if (steps.empty()) return VerifyReason::wrong_code;
  auto fresh = std::find_if(steps.begin(), steps.end(),
                            [&](std::int64_t s) { return s > credential.last_step; });
  if (fresh == steps.end()) return VerifyReason::replayed;
  auto won = ctx.store->accept_totp_step(credential.id, credential.tenant, credential.user, *fresh);
  if (!won) {
    // Replaced or deleted since it was read: a code of a seed that no longer counts.
    if (won.error().code == Errc::not_found) return VerifyReason::wrong_code;
    return std::move(won).error();
  }
  return *won ? VerifyReason::none : VerifyReason::replayed;
}

}  // namespace

// Order: TOTP first (the stronger factor, with its own replay guard), then the live email code,
// so an email code can never shadow an authenticator code. A code whose length fits neither the
// TOTP credential nor the tenant's email digits is invalid_argument. A wrong code is one
// throttle failure, whichever factors it was tried against.
Result<VerifyResult> verify(const ServiceContext& ctx, std::string_view tenant,
                            std::string_view user, std::string_view code) {
  auto config = resolve_tenant(ctx, tenant, user);
  if (!config) return std::move(config).error();
  if (auto st = check_throttle(ctx, tenant, user); !st) return std::move(st).error();
  if (!is_code_format(code)) {
    return make_error(Errc::invalid_argument, "code must be exactly 6 or 8 ASCII digits");
  }
  auto creds = load_credentials(ctx, tenant, user);
  if (!creds) return std::move(creds).error();
  const EmailPolicy& email = (*config)->email;
  const bool email_fits = email.enabled && code.size() == static_cast<std::size_t>(email.digits);

  std::optional<VerifyReason> totp_reason;
  if (creds->active && code.size() == static_cast<std::size_t>(creds->active->digits)) {
    const TotpCredential& active = *creds->active;
    auto steps = matched_steps(ctx, active, code);
    if (!steps) return std::move(steps).error();
    auto reason = accept(ctx, active, *steps);
    if (!reason) return std::move(reason).error();
    if (*reason == VerifyReason::none) return VerifyResult{true, "totp", VerifyReason::none};
    totp_reason = *reason;
  } else if (creds->active && !email_fits) {
    auto canonical = canonicalise(code, creds->active->digits);  // the length error
    return std::move(canonical).error();
  }

  auto email_reason = check_email_code(ctx, email, tenant, user, code);
  if (!email_reason) return std::move(email_reason).error();
  if (*email_reason == VerifyReason::none) return VerifyResult{true, "email", VerifyReason::none};
  if (!totp_reason && !*email_reason) return invalid(VerifyReason::not_enrolled);

  // The most telling reason: a TOTP replay, else what the email code said, else wrong_code.
  VerifyReason reason = VerifyReason::wrong_code;
  if (totp_reason == VerifyReason::replayed)
    reason = VerifyReason::replayed;
  else if (*email_reason && **email_reason != VerifyReason::wrong_code)
    reason = **email_reason;
  if (reason != VerifyReason::expired) {
    if (auto st = count_failure(ctx, tenant, user); !st) return std::move(st).error();
  }
  return invalid(reason);
}

}  // namespace hsm2fa::service::use_case
