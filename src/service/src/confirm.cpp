#include <spdlog/spdlog.h>

#include "code_match.hpp"
#include "use_cases.hpp"

namespace hsm2fa::service::use_case {
namespace {

// Locks the seed (unless the tenant re-shows codes) and makes the credential active with the
// matched step spent; the active credential it replaces loses its seed.
Status activate(const ServiceContext& ctx, const TenantConfig& tenant,
                const TotpCredential& pending, std::int64_t step) {
  SeedRef locked = pending.seed;
  if (tenant.export_policy != ExportPolicy::always) {
    auto ref = ctx.vault->lock(pending.seed);
    if (!ref) return std::move(ref).error();
    locked = std::move(*ref);
  }
  auto replaced = ctx.store->activate_totp(pending.id, locked, step);
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
  if (auto st = check_throttle(ctx, tenant, user); !st) return std::move(st).error();
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

  auto steps = matched_steps(ctx, pending, *canonical);
  if (!steps) return std::move(steps).error();
  if (steps->empty()) {
    if (auto st = count_failure(ctx, tenant, user); !st) return std::move(st).error();
    return ConfirmResult{false, CredentialState::pending};
  }
  if (auto st = activate(ctx, **config, pending, steps->front()); !st) {
    return std::move(st).error();
  }
  if (auto st = ctx.store->reset_throttle(tenant, user); !st) {
    // The activation is durable; a stale failure count only delays the user's next attempt.
    spdlog::warn("confirm: throttle reset failed: {}", st.error().message);
  }
  spdlog::info("totp enrollment confirmed (tenant={})", tenant);
  return ConfirmResult{true, CredentialState::active};
}

}  // namespace hsm2fa::service::use_case
