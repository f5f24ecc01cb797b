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

// Outcomes in request order; the use case writes, the caller audits each change.
Result<std::vector<BulkOutcome>> set_two_factor_bulk(const ServiceContext& ctx,
                                                     std::string_view tenant,
                                                     std::span<const std::string> users,
                                                     bool enabled, std::string_view reason,
                                                     std::int64_t until);

Result<EmailCodeIssued> send_email_code(const ServiceContext& ctx, std::string_view tenant,
                                        std::string_view user, std::string_view email);

Result<std::string> register_device(const ServiceContext& ctx, std::string_view tenant,
                                    std::string_view user, std::string_view name,
                                    std::string_view pem);
Result<std::vector<DeviceInfo>> devices(const ServiceContext& ctx, std::string_view tenant,
                                        std::string_view user);
Status delete_device(const ServiceContext& ctx, std::string_view tenant, std::string_view user,
                     std::string_view device_id);
Result<ChallengeCreated> create_challenge(const ServiceContext& ctx, std::string_view tenant,
                                          std::string_view user, const ChallengeRequest& request);
Result<ChallengeStatus> challenge_status(const ServiceContext& ctx, std::string_view id);
Result<DeviceInbox> device_challenges(const ServiceContext& ctx, std::string_view device_id);
Result<ChallengeStatus> answer_challenge(const ServiceContext& ctx, std::string_view id,
                                         const PushAnswer& answer);
Result<ChallengeCodeResult> challenge_code(const ServiceContext& ctx, std::string_view id,
                                           std::string_view code);

Health health(const ServiceContext& ctx);

}  // namespace hsm2fa::service::use_case
