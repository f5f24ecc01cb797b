#include "pairing_export.hpp"

#include "hsm2fa/otp/base32.hpp"
#include "hsm2fa/otp/otpauth_uri.hpp"

namespace hsm2fa::service {

Enrollment pairing_of(const TenantConfig& tenant, const TotpCredential& credential,
                      const SecretBytes& seed) {
  Enrollment out;
  out.state = credential.state;
  out.secret_base32 = otp::base32_encode_secret(seed.span());
  out.otpauth_uri = otp::otpauth_uri(tenant.issuer, credential.user, out.secret_base32,
                                     credential.alg, credential.digits, credential.period);
  return out;
}

Result<Enrollment> export_pairing(const ServiceContext& ctx, const TenantConfig& tenant,
                                  const TotpCredential& credential) {
  auto seed = ctx.vault->export_seed(credential.seed);
  if (!seed) return std::move(seed).error();
  return pairing_of(tenant, credential, *seed);
}

}  // namespace hsm2fa::service
