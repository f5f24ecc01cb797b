// The use cases, one file each, as free functions over the context. The service object wraps
// them with the audit record. Contracts are those of TwoFactorService.
#pragma once

#include <cstdint>
#include <string_view>

#include "hsm2fa/result.hpp"
#include "service_context.hpp"

namespace hsm2fa::service::use_case {

Result<Enrollment> enroll_totp(const ServiceContext& ctx, const EnrollRequest& request);
Result<Enrollment> pairing(const ServiceContext& ctx, std::string_view tenant,
                           std::string_view user);
Result<ConfirmResult> confirm_totp(const ServiceContext& ctx, std::string_view tenant,
                                   std::string_view user, std::string_view code);
Result<VerifyResult> verify(const ServiceContext& ctx, std::string_view tenant,
                            std::string_view user, std::string_view code);
Status delete_totp(const ServiceContext& ctx, std::string_view tenant, std::string_view user);

Result<UserView> user_view(const ServiceContext& ctx, std::string_view tenant,
                           std::string_view user);
Result<UserView> set_two_factor(const ServiceContext& ctx, std::string_view tenant,
                                std::string_view user, bool enabled, std::string_view reason,
                                std::int64_t until);
Result<UserView> unlock(const ServiceContext& ctx, std::string_view tenant, std::string_view user);

Health health(const ServiceContext& ctx);

}  // namespace hsm2fa::service::use_case
