#include "pairing_export.hpp"
#include "use_cases.hpp"

namespace hsm2fa::service::use_case {

// A pending enrollment that has not expired is re-shown (the token still lets it out unless
// the policy is "never"); an active one only under policy "always". An expired pending
// enrollment is as good as none.
Result<Enrollment> pairing(const ServiceContext& ctx, std::string_view tenant,
                           std::string_view user) {
  auto config = resolve_tenant(ctx, tenant, user);
  if (!config) return std::move(config).error();
  auto creds = load_credentials(ctx, tenant, user);
  if (!creds) return std::move(creds).error();
  const ExportPolicy policy = (*config)->export_policy;
  const bool pending_live = creds->pending && ctx.now_seconds() <= creds->pending->expires_at;

  const TotpCredential* shown = nullptr;
  if (pending_live && policy != ExportPolicy::never) {
    shown = &*creds->pending;
  } else if (creds->active && policy == ExportPolicy::always) {
    shown = &*creds->active;
  } else if (pending_live || creds->active) {
    return make_error(Errc::export_locked, "the pairing code can no longer be shown");
  } else {
    return make_error(Errc::not_found, "no TOTP enrollment");
  }

  auto enrollment = export_pairing(ctx, **config, *shown);
  if (!enrollment) return enrollment;
  enrollment->state = shown->state;
  enrollment->expires_at = shown->state == CredentialState::pending ? shown->expires_at : 0;
  return enrollment;
}

}  // namespace hsm2fa::service::use_case
