#include <spdlog/spdlog.h>

#include "pairing_export.hpp"
#include "use_cases.hpp"
#include "validation.hpp"

namespace hsm2fa::service::use_case {
namespace {

Result<TotpCredential> new_credential(const ServiceContext& ctx, const TenantConfig& tenant,
                                      const EnrollRequest& request) {
  TotpCredential cred;
  cred.tenant = request.tenant;
  cred.user = request.user;
  cred.state = CredentialState::pending;
  cred.alg = request.algorithm.value_or(tenant.algorithm);
  cred.digits = request.digits.value_or(tenant.digits);
  cred.period = request.period.value_or(tenant.period);
  if (!is_digits(cred.digits)) return make_error(Errc::invalid_argument, "digits must be 6 or 8");
  if (!is_period(cred.period)) {
    return make_error(Errc::invalid_argument, "period must be 15..300 seconds");
  }
  cred.created_at = ctx.now_seconds();
  cred.expires_at = cred.created_at + ctx.config.pending_ttl.count();
  return cred;
}

// After the seed exists: make the pending credential durable, then render its pairing code.
Result<Enrollment> store_pending(const ServiceContext& ctx, const TenantConfig& tenant,
                                 TotpCredential& cred, const SecretBytes& seed) {
  auto put = ctx.store->put_pending_totp(cred);
  if (!put) return std::move(put).error();
  if (put->replaced) destroy_orphans(ctx, {*put->replaced});
  Enrollment enrollment = pairing_of(tenant, cred, seed);
  enrollment.state = CredentialState::pending;
  enrollment.expires_at = cred.expires_at;
  return enrollment;
}

}  // namespace

Result<Enrollment> enroll_totp(const ServiceContext& ctx, const EnrollRequest& request) {
  auto tenant = resolve_tenant(ctx, request.tenant, request.user);
  if (!tenant) return std::move(tenant).error();
  auto cred = new_credential(ctx, **tenant, request);
  if (!cred) return std::move(cred).error();
  // Under "never" the seed could not be shown, so the user could never pair it.
  if ((*tenant)->export_policy == ExportPolicy::never) {
    return make_error(Errc::export_locked, "this tenant's export policy forbids pairing codes");
  }
  auto existing = load_credentials(ctx, request.tenant, request.user);
  if (!existing) return std::move(existing).error();
  if (existing->active && !request.replace) {
    return make_error(Errc::conflict, "TOTP is already active; re-enroll with replace=true");
  }

  // The seed and its bytes for the pairing code come out of one token operation.
  auto seed = ctx.vault->generate_for_pairing(cred->alg);
  if (!seed) return std::move(seed).error();
  cred->seed = std::move(seed->ref);
  auto enrollment = store_pending(ctx, **tenant, *cred, seed->value);
  if (!enrollment) {
    destroy_orphans(ctx, {cred->seed});
    return enrollment;
  }
  spdlog::info("totp enrollment pending (tenant={}, alg={}, digits={}, period={})", request.tenant,
               to_string(cred->alg), cred->digits, cred->period);
  return enrollment;
}

}  // namespace hsm2fa::service::use_case
