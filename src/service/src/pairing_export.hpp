// The one path by which a seed leaves the token: the pairing code and URI shown to the user.
#pragma once

#include <string_view>

#include "hsm2fa/result.hpp"
#include "service_context.hpp"

namespace hsm2fa::service {

// Exports the credential's seed once and renders base32 and the otpauth URI (issuer = the
// tenant's issuer, account = the user). The raw seed is wiped before returning. Errors are the
// vault's (export_locked, hsm_unavailable, ...). `state` and `expires_at` are left for the
// caller to set.
Result<Enrollment> export_pairing(const ServiceContext& ctx, const TenantConfig& tenant,
                                  const TotpCredential& credential);

// The same rendering of seed bytes the caller already holds (an enrollment's new seed).
Enrollment pairing_of(const TenantConfig& tenant, const TotpCredential& credential,
                      const SecretBytes& seed);

}  // namespace hsm2fa::service
