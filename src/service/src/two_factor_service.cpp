#include "hsm2fa/service/two_factor_service.hpp"

#include <spdlog/spdlog.h>

#include "service_context.hpp"
#include "token_permits.hpp"
#include "use_cases.hpp"
#include "validation.hpp"

namespace hsm2fa::service {
namespace {

std::string_view outcome_of(bool valid) { return valid ? "valid" : "invalid"; }

class AuditedTwoFactorService final : public TwoFactorService {
 public:
  explicit AuditedTwoFactorService(ServiceContext ctx) : ctx_(std::move(ctx)) {}

  Result<Enrollment> enroll_totp(const Caller& caller, const EnrollRequest& request) override {
    return audited_use_case(ctx_, [&] {
      auto r = use_case::enroll_totp(ctx_, request);
      return audited(ctx_, caller, {"totp.enroll", request.tenant, request.user, "ok", {}},
                     std::move(r));
    });
  }

  Result<Enrollment> pairing(const Caller& caller, std::string_view tenant,
                             std::string_view user) override {
    return audited_use_case(ctx_, [&] {
      auto r = use_case::pairing(ctx_, tenant, user);
      return audited(ctx_, caller, {"totp.pairing", tenant, user, "ok", {}}, std::move(r));
    });
  }

  Result<ConfirmResult> confirm_totp(const Caller& caller, std::string_view tenant,
                                     std::string_view user, std::string_view code) override {
    return audited_use_case(ctx_, [&] {
      auto r = use_case::confirm_totp(ctx_, tenant, user, code);
      const std::string_view outcome = r ? outcome_of(r->valid) : "";
      return audited(ctx_, caller, {"totp.confirm", tenant, user, outcome, {}}, std::move(r));
    });
  }

  Status delete_totp(const Caller& caller, std::string_view tenant,
                     std::string_view user) override {
    return audited_use_case(ctx_, [&] {
      auto r = use_case::delete_totp(ctx_, tenant, user);
      return audited(ctx_, caller, {"totp.delete", tenant, user, "ok", {}}, std::move(r));
    });
  }

  Result<VerifyResult> verify(const Caller& caller, std::string_view tenant, std::string_view user,
                              std::string_view code) override {
    return audited_use_case(ctx_, [&] {
      auto r = use_case::verify(ctx_, tenant, user, code);
      const std::string_view outcome = r ? outcome_of(r->valid) : "";
      const std::string_view reason = r ? to_string(r->reason) : "";
      return audited(ctx_, caller, {"verify", tenant, user, outcome, reason}, std::move(r));
    });
  }

  Result<UserView> user(std::string_view tenant, std::string_view user) override {
    return shielded([&] { return use_case::user_view(ctx_, tenant, user); });
  }

  Result<UserView> set_two_factor(const Caller& caller, std::string_view tenant,
                                  std::string_view user, bool enabled, std::string_view reason,
                                  std::int64_t until) override {
    return audited_use_case(ctx_, [&] {
      auto r = use_case::set_two_factor(ctx_, tenant, user, enabled, reason, until);
      const std::string_view action = enabled ? "two_factor.enable" : "two_factor.disable";
      return audited(ctx_, caller, {action, tenant, user, "ok", enabled ? "" : reason},
                     std::move(r));
    });
  }

  Result<UserView> unlock(const Caller& caller, std::string_view tenant,
                          std::string_view user) override {
    return audited_use_case(ctx_, [&] {
      auto r = use_case::unlock(ctx_, tenant, user);
      return audited(ctx_, caller, {"user.unlock", tenant, user, "ok", {}}, std::move(r));
    });
  }

  Result<std::vector<BulkOutcome>> set_two_factor_bulk(const Caller& caller,
                                                       std::string_view tenant,
                                                       std::span<const std::string> users,
                                                       bool enabled, std::string_view reason,
                                                       std::int64_t until) override {
    return audited_use_case(ctx_, [&]() -> Result<std::vector<BulkOutcome>> {
      auto r = use_case::set_two_factor_bulk(ctx_, tenant, users, enabled, reason, until);
      const std::string_view action = enabled ? "two_factor.enable" : "two_factor.disable";
      if (!r) {
        return audited(ctx_, caller, {action, tenant, "*bulk*", "error", {}}, std::move(r));
      }
      // One audit line per user, as for the single switch; a change that cannot be audited is
      // reported as such in its own entry.
      for (BulkOutcome& outcome : *r) {
        if (outcome.error) continue;
        const AuditEvent event{action, tenant, outcome.user, "ok", enabled ? "" : reason};
        if (auto st = record_audit(ctx_, caller, event); !st) outcome.error = st.error();
      }
      return r;
    });
  }

  Result<EmailCodeIssued> send_email_code(const Caller& caller, std::string_view tenant,
                                          std::string_view user, std::string_view email) override {
    return audited_use_case(ctx_, [&] {
      auto r = use_case::send_email_code(ctx_, tenant, user, email);
      const std::string_view delivery =
          r && r->delivery == EmailDelivery::caller ? "caller" : "smtp";
      return audited(ctx_, caller, {"email.send", tenant, user, "ok", delivery}, std::move(r));
    });
  }

  Result<std::string> register_device(const Caller& caller, std::string_view tenant,
                                      std::string_view user, std::string_view name,
                                      std::string_view pem) override {
    return audited_use_case(ctx_, [&] {
      auto r = use_case::register_device(ctx_, tenant, user, name, pem);
      return audited(ctx_, caller, {"push.device.add", tenant, user, "ok", {}}, std::move(r));
    });
  }

  Result<std::vector<DeviceInfo>> devices(std::string_view tenant, std::string_view user) override {
    return shielded([&] { return use_case::devices(ctx_, tenant, user); });
  }

  Status delete_device(const Caller& caller, std::string_view tenant, std::string_view user,
                       std::string_view device_id) override {
    return audited_use_case(ctx_, [&] {
      auto r = use_case::delete_device(ctx_, tenant, user, device_id);
      return audited(ctx_, caller, {"push.device.delete", tenant, user, "ok", {}}, std::move(r));
    });
  }

  Result<ChallengeCreated> create_challenge(const Caller& caller, std::string_view tenant,
                                            std::string_view user,
                                            const ChallengeRequest& request) override {
    return audited_use_case(ctx_, [&] {
      auto r = use_case::create_challenge(ctx_, tenant, user, request);
      return audited(ctx_, caller, {"push.challenge", tenant, user, "ok", {}}, std::move(r));
    });
  }

  Result<ChallengeStatus> challenge_status(std::string_view id) override {
    return shielded([&] { return use_case::challenge_status(ctx_, id); });
  }

  Result<DeviceInbox> device_challenges(std::string_view device_id) override {
    return shielded([&] { return use_case::device_challenges(ctx_, device_id); });
  }

  Result<ChallengeStatus> answer_challenge(const Caller& caller, std::string_view id,
                                           const PushAnswer& answer) override {
    return audited_use_case(ctx_, [&]() -> Result<ChallengeStatus> {
      auto r = use_case::answer_challenge(ctx_, id, answer);
      const std::string tenant = r ? r->tenant : std::string();
      const std::string user = r ? r->user : std::string();
      const std::string_view outcome = r ? std::string_view(r->state) : "";
      return audited(ctx_, caller, {"push.decision", tenant, user, outcome, {}}, std::move(r));
    });
  }

  Result<ChallengeCodeResult> challenge_code(const Caller& caller, std::string_view id,
                                             std::string_view code) override {
    return audited_use_case(ctx_, [&] {
      auto r = use_case::challenge_code(ctx_, id, code);
      const std::string_view outcome = r ? outcome_of(r->valid) : "";
      return audited(ctx_, caller, {"push.code", {}, {}, outcome, {}}, std::move(r));
    });
  }

  std::shared_ptr<ChangeFeed> change_feed() override { return ctx_.feed; }

  Health health() override {
    try {
      return use_case::health(ctx_);
    } catch (...) {
      return Health{};  // an answer that cannot be computed is "down"
    }
  }

 private:
  const ServiceContext ctx_;
};

class NoAuditSink final : public AuditSink {
 public:
  Status record(const Caller&, const AuditEvent&) override { return {}; }
};

}  // namespace

std::shared_ptr<AuditSink> make_no_audit_sink() { return std::make_shared<NoAuditSink>(); }

std::string_view to_string(VerifyReason r) noexcept {
  switch (r) {
    case VerifyReason::none:
      return "";
    case VerifyReason::wrong_code:
      return "wrong_code";
    case VerifyReason::replayed:
      return "replayed";
    case VerifyReason::not_enrolled:
      return "not_enrolled";
    case VerifyReason::expired:
      return "expired";
  }
  return "";
}

std::string_view to_string(TotpStatus s) noexcept {
  switch (s) {
    case TotpStatus::none:
      return "none";
    case TotpStatus::pending:
      return "pending";
    case TotpStatus::active:
      return "active";
  }
  return "none";
}

Result<std::unique_ptr<TwoFactorService>> make_two_factor_service(
    ServiceConfig config, std::shared_ptr<SeedVault> vault, std::shared_ptr<Store> store,
    std::shared_ptr<const Clock> clock, std::function<Status()> hsm_probe,
    std::shared_ptr<AuditSink> audit, FlowPorts ports) {
  if (!vault || !store || !clock) {
    return make_error(Errc::config, "the service needs a seed vault, a store and a clock");
  }
  if (auto st = validate_config(config); !st) return std::move(st).error();
  for (const auto& [name, tenant] : config.tenants) {
    if (tenant.export_policy == ExportPolicy::always) {
      spdlog::warn("tenant {} re-shows active pairing codes (export_policy=always): weaker custody",
                   name);
    }
  }
  for (const auto& [name, tenant] : config.tenants) {
    if (tenant.email.enabled && tenant.email.delivery == EmailDelivery::smtp &&
        !ports.email_sender) {
      return make_error(Errc::config,
                        "tenant " + name + " sends email codes but no SMTP relay is configured");
    }
  }
  if (config.token_concurrency > 0) {
    auto gate = std::make_shared<TokenPermits>(static_cast<std::size_t>(config.token_concurrency));
    vault = gate_vault(std::move(vault), gate);
    hsm_probe = gate_probe(std::move(hsm_probe), gate);
    ports.token_mac = gate_token_mac(std::move(ports.token_mac), gate);
    ports.random = gate_random(std::move(ports.random), gate);
  }
  if (!ports.random) ports.random = make_openssl_random();
  ServiceContext ctx{std::move(config),    std::move(vault),
                     std::move(store),     std::move(clock),
                     std::move(hsm_probe), audit ? std::move(audit) : make_no_audit_sink(),
                     std::move(ports),     ChangeFeed::make()};
  return std::unique_ptr<TwoFactorService>(new AuditedTwoFactorService(std::move(ctx)));
}

}  // namespace hsm2fa::service
