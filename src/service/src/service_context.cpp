#include "service_context.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "validation.hpp"

namespace hsm2fa::service {

Result<UserCredentials> load_credentials(const ServiceContext& ctx, std::string_view tenant,
                                         std::string_view user) {
  auto all = ctx.store->totp_credentials(tenant, user);
  if (!all) return std::move(all).error();
  UserCredentials split;
  for (auto& cred : *all) {
    auto& slot = cred.state == CredentialState::active ? split.active : split.pending;
    if (slot) return make_error(Errc::internal, "store returned two credentials in one state");
    slot = std::move(cred);
  }
  return split;
}

Result<const TenantConfig*> resolve_tenant(const ServiceContext& ctx, std::string_view tenant,
                                           std::string_view user) {
  if (!is_identifier(tenant)) {
    return make_error(Errc::invalid_argument, "tenant must be 1-128 bytes of [A-Za-z0-9._@+-]");
  }
  if (!is_identifier(user)) {
    return make_error(Errc::invalid_argument, "user must be 1-128 bytes of [A-Za-z0-9._@+-]");
  }
  auto it = ctx.config.tenants.find(tenant);
  if (it == ctx.config.tenants.end()) return make_error(Errc::not_found, "unknown tenant");
  return &it->second;
}

Result<int> check_throttle(const ServiceContext& ctx, std::string_view tenant,
                           std::string_view user) {
  auto state = ctx.store->user_state(tenant, user);
  if (!state) return std::move(state).error();
  const std::int64_t wait_ms = state->throttle.wait_ms(ctx.now_ms());
  if (wait_ms <= 0) return state->throttle.failures;
  Error error = make_error(Errc::rate_limited, "too many failed attempts; try again later");
  error.retry_after_seconds = std::max<std::int64_t>(1, (wait_ms + 999) / 1000);
  return error;
}

Status count_failure(const ServiceContext& ctx, std::string_view tenant, std::string_view user) {
  auto state = ctx.store->record_failure(tenant, user, ctx.config.throttle, ctx.now_ms());
  if (!state) return std::move(state).error();
  if (state->locked_until_ms > 0 && state->failures == ctx.config.throttle.max_failures) {
    spdlog::warn("user locked after {} failures (tenant={})", state->failures, tenant);
  }
  return {};
}

void destroy_orphans(const ServiceContext& ctx, const std::vector<SeedRef>& seeds) {
  for (const auto& seed : seeds) {
    // The ref is not logged: in wrapped custody it is the seed's only (encrypted) copy.
    if (auto st = ctx.vault->destroy(seed); !st) {
      spdlog::error("could not destroy an unreferenced seed: {}", st.error().message);
    }
  }
}

Error unexpected_exception(const std::exception* e) noexcept {
  try {
    spdlog::error("unexpected exception in the service: {}", e ? e->what() : "unknown");
    return make_error(Errc::internal, "internal error");
  } catch (...) {
    return Error{};  // Errc::internal with no message: nothing left to allocate with
  }
}

Status audit_ready(const ServiceContext& ctx) {
  auto st = ctx.audit->ready();
  if (!st) {
    spdlog::error("audit log not writable, refusing the request: {}", st.error().message);
    return make_error(Errc::audit_unavailable, "the audit record could not be written");
  }
  return {};
}

Status record_audit(const ServiceContext& ctx, const Caller& caller, const AuditEvent& event) {
  auto st = ctx.audit->record(caller, event);
  if (!st) {
    spdlog::error("audit record failed for {}: {}", event.action, st.error().message);
    return make_error(Errc::audit_unavailable, "the audit record could not be written");
  }
  return {};
}

}  // namespace hsm2fa::service
