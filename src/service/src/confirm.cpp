#include <spdlog/spdlog.h>

#include "code_match.hpp"
#include "use_cases.hpp"

namespace hsm2fa::service::use_case {
namespace {

// The steps `canonical` matches and the ref to store once confirmed: the seed is locked in the
// same token operation as the check unless the tenant re-shows codes.
Result<LockedMatch> check_code(const ServiceContext& ctx, const TenantConfig& tenant,
                               const TotpCredential& pending, std::string_view canonical) {
  if (tenant.export_policy != ExportPolicy::always) {
    return matched_steps_then_lock(ctx, pending, canonical);
  }
  auto steps = matched_steps(ctx, pending, canonical);
  if (!steps) return std::move(steps).error();
  return LockedMatch{std::move(*steps), pending.seed};
}

// Makes the credential active with the matched step spent; the active credential it replaces
// loses its seed.
Status activate(const ServiceContext& ctx, const TotpCredential& pending, const SeedRef& seed,
                std::int64_t step) {
  auto replaced = ctx.store->activate_totp(pending.id, seed, step);
  if (!replaced) return std::move(replaced).error();
  if (*replaced) destroy_orphans(ctx, {**replaced});
  return {};
}

}  // namespace

// An expired enrollment answers {valid:false} without evaluating the code and without counting
// a failure: nothing can confirm it any more, so there is nothing to guess.
Result<ConfirmResult> confirm_totp(const ServiceContext& ctx, std::string_view tenant,
                                   std::string_view user, std::string_view code) {
  auto config = resolve_tenant(ctx, tenant, user);
  if (!config) return std::move(config).error();
  auto failures = check_throttle(ctx, tenant, user);
  if (!failures) return std::move(failures).error();
  auto creds = load_credentials(ctx, tenant, user);
  if (!creds) return std::move(creds).error();
  if (!creds->pending) {
    if (creds->active) return make_error(Errc::conflict, "no pending enrollment to confirm");
    return make_error(Errc::not_found, "no TOTP enrollment");
  }
  const TotpCredential& pending = *creds->pending;
  auto canonical = canonicalise(code, pending.digits);
  if (!canonical) return std::move(canonical).error();
  if (ctx.now_seconds() > pending.expires_at) return ConfirmResult{false, pending.state};

  auto match = check_code(ctx, **config, pending, *canonical);
  if (!match) return std::move(match).error();
  if (match->steps.empty()) {
    if (auto st = count_failure(ctx, tenant, user); !st) return std::move(st).error();
    return ConfirmResult{false, CredentialState::pending};
  }
  if (auto st = activate(ctx, pending, match->seed, match->steps.front()); !st) {
    return std::move(st).error();
  }
  // Nothing to reset when no failure was counted (one durable write fewer); a failure counted
  // since the check stays counted.
  if (*failures > 0) {
    if (auto st = ctx.store->reset_throttle(tenant, user); !st) {
      // The activation is durable; a stale failure count only delays the user's next attempt.
      spdlog::warn("confirm: throttle reset failed: {}", st.error().message);
    }
  }
  spdlog::info("totp enrollment confirmed (tenant={})", tenant);
  return ConfirmResult{true, CredentialState::active};
}

}  // namespace hsm2fa::service::use_case
