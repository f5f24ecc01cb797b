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
  bool email_to_caller = false;
  std::string challenge_state = "pending";
  service::PushAnswer last_answer;
  std::shared_ptr<service::ChangeFeed> feed = service::ChangeFeed::make();

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
  Result<std::vector<service::BulkOutcome>> set_two_factor_bulk(
      const service::Caller& caller, std::string_view tenant, std::span<const std::string> users,
      bool enabled, std::string_view reason, std::int64_t until) override {
    note("bulk", caller, tenant, "");
    last_enabled = enabled;
    last_reason = reason;
    last_until = until;
    if (fail) return *fail;
    std::vector<service::BulkOutcome> out;
    for (const auto& u : users) {
      out.push_back({u, u == "bad" ? std::optional(make_error(Errc::invalid_argument, "bad id"))
                                   : std::nullopt});
    }
    return out;
  }
  Result<service::EmailCodeIssued> send_email_code(const service::Caller& caller,
                                                   std::string_view tenant, std::string_view user,
                                                   std::string_view email) override {
    note("email_code", caller, tenant, user);
    last_code = email;
    if (fail) return *fail;
    service::EmailCodeIssued issued;
    issued.expires_at = 1800000600;
    issued.resend_after = 1800000060;
    issued.delivery =
        email_to_caller ? service::EmailDelivery::caller : service::EmailDelivery::smtp;
    if (email_to_caller) issued.code = SecretBytes::from_string("12345678");
    return issued;
  }
  Result<std::string> register_device(const service::Caller& caller, std::string_view tenant,
                                      std::string_view user, std::string_view name,
                                      std::string_view) override {
    note("register_device", caller, tenant, user);
    last_reason = name;
    if (fail) return *fail;
    return std::string(32, 'a');
  }
  Result<std::vector<service::DeviceInfo>> devices(std::string_view tenant,
                                                   std::string_view user) override {
    note("devices", {}, tenant, user);
    if (fail) return *fail;
    return std::vector<service::DeviceInfo>{{std::string(32, 'a'), "phone", 1800000000}};
  }
  Status delete_device(const service::Caller& caller, std::string_view tenant,
                       std::string_view user, std::string_view) override {
    note("delete_device", caller, tenant, user);
    if (fail) return *fail;
    return {};
  }
  Result<service::ChallengeCreated> create_challenge(const service::Caller& caller,
                                                     std::string_view tenant, std::string_view user,
                                                     const service::ChallengeRequest&) override {
    note("create_challenge", caller, tenant, user);
    if (fail) return *fail;
    return service::ChallengeCreated{std::string(32, 'c'), 1800000120, 47};
  }
  Result<service::ChallengeStatus> challenge_status(std::string_view) override {
    if (fail) return *fail;
    return service::ChallengeStatus{"acme", "alice", challenge_state, ""};
  }
  Result<service::DeviceInbox> device_challenges(std::string_view) override {
    if (fail) return *fail;
    return service::DeviceInbox{"acme", "alice", {}};
  }
  Result<service::ChallengeStatus> answer_challenge(const service::Caller& caller, std::string_view,
                                                    const service::PushAnswer& answer) override {
    note("answer_challenge", caller, "", "");
    last_answer = answer;
    if (fail) return *fail;
    return service::ChallengeStatus{"acme", "alice", answer.approve ? "approved" : "denied",
                                    "push"};
  }
  Result<service::ChallengeCodeResult> challenge_code(const service::Caller& caller,
                                                      std::string_view,
                                                      std::string_view code) override {
    note("challenge_code", caller, "", "");
    last_code = code;
    if (fail) return *fail;
    return service::ChallengeCodeResult{true, "approved"};
  }
  std::shared_ptr<service::ChangeFeed> change_feed() override { return feed; }

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
