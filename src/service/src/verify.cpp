#include <algorithm>

#include "code_match.hpp"
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

Result<VerifyResult> verify(const ServiceContext& ctx, std::string_view tenant,
                            std::string_view user, std::string_view code) {
  if (auto config = resolve_tenant(ctx, tenant, user); !config) return std::move(config).error();
  if (auto st = check_throttle(ctx, tenant, user); !st) return std::move(st).error();
  if (!is_code_format(code)) {
    return make_error(Errc::invalid_argument, "code must be exactly 6 or 8 ASCII digits");
  }
  auto creds = load_credentials(ctx, tenant, user);
  if (!creds) return std::move(creds).error();
  if (!creds->active) return invalid(VerifyReason::not_enrolled);
  const TotpCredential& active = *creds->active;
  auto canonical = canonicalise(code, active.digits);
  if (!canonical) return std::move(canonical).error();

  auto steps = matched_steps(ctx, active, *canonical);
  if (!steps) return std::move(steps).error();
  auto reason = accept(ctx, active, *steps);
  if (!reason) return std::move(reason).error();
  if (*reason == VerifyReason::none) return VerifyResult{true, "totp", VerifyReason::none};
  if (auto st = count_failure(ctx, tenant, user); !st) return std::move(st).error();
  return invalid(*reason);
}

}  // namespace hsm2fa::service::use_case
