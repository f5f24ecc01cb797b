#include "use_cases.hpp"
#include "validation.hpp"

namespace hsm2fa::service::use_case {
namespace {

// A disable time-boxed by `until` lapses on its own: it is applied when read, so no timer has
// to run for the user to be protected again.
bool effective_two_factor(const UserState& state, std::int64_t now) {
  if (state.two_factor_enabled) return true;
  return state.disabled_until != 0 && now >= state.disabled_until;
}

TotpStatus totp_status(const UserCredentials& creds, std::int64_t now) {
  if (creds.active) return TotpStatus::active;
  if (creds.pending && now <= creds.pending->expires_at) return TotpStatus::pending;
  return TotpStatus::none;
}

}  // namespace

Result<UserView> user_view(const ServiceContext& ctx, std::string_view tenant,
                           std::string_view user) {
  auto config = resolve_tenant(ctx, tenant, user);
  if (!config) return std::move(config).error();
  auto state = ctx.store->user_state(tenant, user);
  if (!state) return std::move(state).error();
  auto creds = load_credentials(ctx, tenant, user);
  if (!creds) return std::move(creds).error();
  const std::int64_t now = ctx.now_seconds();
  bool view_email = false;
  // "email": the tenant offers email codes and the user has a live one, i.e. verify would take
  // an email code right now. No address is kept (the caller passes it with each send), so
  // "an address on file" cannot be the meaning.
  if ((*config)->email.enabled) {
    auto code = ctx.store->email_code(tenant, user);
    if (!code) return std::move(code).error();
    view_email = *code && now < (*code)->expires_at;
  }
  auto devices = ctx.store->devices(tenant, user);
  if (!devices) return std::move(devices).error();
  UserView view;
  view.push_devices = static_cast<int>(devices->size());
  view.tenant = std::string(tenant);
  view.user = std::string(user);
  view.two_factor_enabled = effective_two_factor(*state, now);
  view.totp = totp_status(*creds, now);
  view.email = view_email;
  if (state->throttle.locked_until_ms > ctx.now_ms()) {
    view.locked_until = (state->throttle.locked_until_ms + 999) / 1000;
  }
  return view;
}

Result<UserView> set_two_factor(const ServiceContext& ctx, std::string_view tenant,
                                std::string_view user, bool enabled, std::string_view reason,
                                std::int64_t until) {
  if (auto config = resolve_tenant(ctx, tenant, user); !config) return std::move(config).error();
  if (enabled) {
    reason = {};
    until = 0;
  } else {
    if (!is_reason(reason)) {
      return make_error(Errc::invalid_argument, "disabling 2FA needs a reason (1-1024 bytes)");
    }
    if (until != 0 && until <= ctx.now_seconds()) {
      return make_error(Errc::invalid_argument, "until must be in the future");
    }
  }
  if (auto st = ctx.store->set_two_factor(tenant, user, enabled, reason, until); !st) {
    return std::move(st).error();
  }
  return user_view(ctx, tenant, user);
}

Result<UserView> unlock(const ServiceContext& ctx, std::string_view tenant, std::string_view user) {
  if (auto config = resolve_tenant(ctx, tenant, user); !config) return std::move(config).error();
  if (auto st = ctx.store->reset_throttle(tenant, user); !st) return std::move(st).error();
  return user_view(ctx, tenant, user);
}

Health health(const ServiceContext& ctx) {
  Health h;
  h.store_up = ctx.store->ping().ok();
  h.hsm_up = ctx.hsm_probe && ctx.hsm_probe().ok();
  for (const auto& [name, tenant] : ctx.config.tenants) {
    if (tenant.export_policy == ExportPolicy::always) h.weaker_custody = true;
  }
  return h;
}

}  // namespace hsm2fa::service::use_case
