// A scriptable TwoFactorService for the http tests: records the last call, answers what the
// test set.
#pragma once

#include <mutex>
#include <string>

#include "hsm2fa/service/two_factor_service.hpp"

namespace hsm2fa::http::testing {

class FakeService final : public service::TwoFactorService {
 public:
  // Every call fails with this when set.
  std::optional<Error> fail;
  service::Health health_answer{true, true, false};
  service::VerifyResult verify_answer{true, "totp", service::VerifyReason::none};
  service::TotpStatus totp = service::TotpStatus::none;

  // What the last call received.
  std::string last_call, last_tenant, last_user, last_code, last_reason, last_request_id;
  std::string last_actor;
  bool last_enabled = false;
  std::int64_t last_until = 0;
  service::EnrollRequest last_enroll;

  Result<service::Enrollment> enroll_totp(const service::Caller& caller,
                                          const service::EnrollRequest& request) override {
    note("enroll", caller, request.tenant, request.user);
    last_enroll = request;
    if (fail) return *fail;
    return enrollment();
  }
  Result<service::Enrollment> pairing(const service::Caller& caller, std::string_view tenant,
                                      std::string_view user) override {
    note("pairing", caller, tenant, user);
    if (fail) return *fail;
    return enrollment();
  }
  Result<service::ConfirmResult> confirm_totp(const service::Caller& caller,
                                              std::string_view tenant, std::string_view user,
                                              std::string_view code) override {
    note("confirm", caller, tenant, user);
    last_code = code;
    if (fail) return *fail;
    return service::ConfirmResult{
        code == "123456", code == "123456" ? CredentialState::active : CredentialState::pending};
  }
  Status delete_totp(const service::Caller& caller, std::string_view tenant,
                     std::string_view user) override {
    note("delete", caller, tenant, user);
    if (fail) return *fail;
    return {};
  }
  Result<service::VerifyResult> verify(const service::Caller& caller, std::string_view tenant,
                                       std::string_view user, std::string_view code) override {
    note("verify", caller, tenant, user);
    last_code = code;
    if (fail) return *fail;
    return verify_answer;
  }
  Result<service::UserView> user(std::string_view tenant, std::string_view user) override {
    note("user", {}, tenant, user);
    if (fail) return *fail;
    return view(tenant, user);
  }
  Result<service::UserView> set_two_factor(const service::Caller& caller, std::string_view tenant,
                                           std::string_view user, bool enabled,
                                           std::string_view reason, std::int64_t until) override {
    note("set_two_factor", caller, tenant, user);
    last_enabled = enabled;
    last_reason = reason;
    last_until = until;
    if (fail) return *fail;
    auto v = view(tenant, user);
    v.two_factor_enabled = enabled;
    return v;
  }
  Result<service::UserView> unlock(const service::Caller& caller, std::string_view tenant,
                                   std::string_view user) override {
    note("unlock", caller, tenant, user);
    if (fail) return *fail;
    return view(tenant, user);
  }
  service::Health health() override {
    std::lock_guard lock(mutex_);
    last_call = "health";
    return health_answer;
  }

  static constexpr std::string_view kSecret = "JBSWY3DPEHPK3PXP";
  static constexpr std::string_view kUri =
      "otpauth://totp/Acme:alice?secret=JBSWY3DPEHPK3PXP&issuer=Acme&algorithm=SHA1&digits=6&"
      "period=30";

 private:
  void note(std::string_view call, const service::Caller& caller, std::string_view tenant,
            std::string_view user) {
    std::lock_guard lock(mutex_);
    last_call = call;
    last_tenant = tenant;
    last_user = user;
    last_request_id = caller.request_id;
    last_actor = caller.actor;
  }
  service::UserView view(std::string_view tenant, std::string_view user) const {
    service::UserView v;
    v.tenant = tenant;
    v.user = user;
    v.totp = totp;
    return v;
  }
  static service::Enrollment enrollment() {
    service::Enrollment e;
    e.secret_base32 = SecretBytes::from_string(kSecret);
    e.otpauth_uri = SecretBytes::from_string(kUri);
    e.expires_at = 1800000000;
    return e;
  }
  std::mutex mutex_;
};

}  // namespace hsm2fa::http::testing
