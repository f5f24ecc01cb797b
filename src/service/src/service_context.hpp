// What every use case needs: the validated config and the ports. Private to the service module.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "hsm2fa/clock.hpp"
#include "hsm2fa/result.hpp"
#include "hsm2fa/seed_vault.hpp"
#include "hsm2fa/service/audit_sink.hpp"
#include "hsm2fa/service/two_factor_service.hpp"
#include "hsm2fa/store.hpp"

namespace hsm2fa::service {

struct ServiceContext {
  ServiceConfig config;
  std::shared_ptr<SeedVault> vault;
  std::shared_ptr<Store> store;
  std::shared_ptr<const Clock> clock;
  std::function<Status()> hsm_probe;
  std::shared_ptr<AuditSink> audit;
  FlowPorts ports;  // random is always set
  std::shared_ptr<ChangeFeed> feed;

  std::int64_t now_seconds() const { return clock->unix_seconds(); }
  std::int64_t now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock->now().time_since_epoch())
        .count();
  }
};

// The user's credentials split by state (the store keeps at most one of each).
struct UserCredentials {
  std::optional<TotpCredential> pending;
  std::optional<TotpCredential> active;
};
Result<UserCredentials> load_credentials(const ServiceContext& ctx, std::string_view tenant,
                                         std::string_view user);

// Validates tenant and user and returns the tenant's config.
Result<const TenantConfig*> resolve_tenant(const ServiceContext& ctx, std::string_view tenant,
                                           std::string_view user);

// rate_limited (with retry_after_seconds) while the user backs off or is locked; the code of
// such a request is never evaluated. Otherwise the failures counted so far.
Result<int> check_throttle(const ServiceContext& ctx, std::string_view tenant,
                           std::string_view user);

// Counts a failed attempt. A failure that cannot be counted is an error, not a silent pass.
Status count_failure(const ServiceContext& ctx, std::string_view tenant, std::string_view user);

// Destroys seeds nobody references any more; failures are logged, not returned (the caller's
// durable change already happened and must be reported as such).
void destroy_orphans(const ServiceContext& ctx, const std::vector<SeedRef>& seeds);

// Records the outcome of a use case. A successful result whose audit line cannot be written
// turns into the audit error; an error result stays the original error.
Status record_audit(const ServiceContext& ctx, const Caller& caller, const AuditEvent& event);

// No exception leaves the service (STYLE: errors are values at module edges): whatever a port
// or an allocation throws becomes Errc::internal, and the request fails closed.
Error unexpected_exception(const std::exception* e) noexcept;

template <class F>
auto shielded(F&& use_case) -> decltype(use_case()) {
  try {
    return use_case();
  } catch (const std::exception& e) {
    return unexpected_exception(&e);
  } catch (...) {
    return unexpected_exception(nullptr);
  }
}

// The sink's readiness as the request's error (Errc::audit_unavailable).
Status audit_ready(const ServiceContext& ctx);

// An audited use case: asks the audit sink first, so that a log which cannot take a line
// stops the request before anything changes. The outcome line is still written after the
// change (audited()); if only that write fails (the disk filled in between), the request
// answers audit_unavailable with its change made: the window is one stat-to-write interval.
template <class F>
auto audited_use_case(const ServiceContext& ctx, F&& use_case) -> decltype(use_case()) {
  if (auto st = audit_ready(ctx); !st) return std::move(st).error();
  return shielded(std::forward<F>(use_case));
}

template <class T>
Result<T> audited(const ServiceContext& ctx, const Caller& caller, AuditEvent event,
                  Result<T> result) {
  if (!result) {
    event.outcome = "error";
    event.reason = to_string(result.error().code);
    (void)record_audit(ctx, caller, event);
    return result;
  }
  if (auto st = record_audit(ctx, caller, event); !st) return std::move(st).error();
  return result;
}

}  // namespace hsm2fa::service
