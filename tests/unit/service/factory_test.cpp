#include <functional>
#include <vector>

#include "service_fixture.hpp"

namespace hsm2fa::testing {
namespace {

using FactoryTest = ServiceTest;

TEST_F(FactoryTest, RejectsInvalidConfigs) {
  const std::vector<std::function<void(ServiceConfig&)>> breakers = {
      [](ServiceConfig& c) { c.tenants.erase("default"); },
      [](ServiceConfig& c) { c.tenants["bad name"] = TenantConfig{}; },
      [](ServiceConfig& c) { c.tenants["default"].digits = 7; },
      [](ServiceConfig& c) { c.tenants["default"].period = 10; },
      [](ServiceConfig& c) { c.tenants["default"].issuer = ""; },
      [](ServiceConfig& c) { c.tenants["default"].issuer = "a:b"; },
      [](ServiceConfig& c) { c.window = -1; },
      [](ServiceConfig& c) { c.window = 11; },
      [](ServiceConfig& c) { c.pending_ttl = std::chrono::seconds(0); },
      [](ServiceConfig& c) { c.throttle.max_failures = 0; },
      [](ServiceConfig& c) { c.throttle.max_failures = 101; },
      [](ServiceConfig& c) { c.throttle.free_failures = -1; },
      [](ServiceConfig& c) { c.throttle.base = std::chrono::milliseconds(0); },
      [](ServiceConfig& c) { c.throttle.max_wait = std::chrono::milliseconds(10); },
      [](ServiceConfig& c) { c.throttle.lock_for = std::chrono::seconds(0); },
  };
  for (std::size_t i = 0; i < breakers.size(); ++i) {
    ServiceConfig config = base_config();
    breakers[i](config);
    auto made = make_two_factor_service(std::move(config), vault, store, clock, nullptr);
    ASSERT_FALSE(made.ok()) << "breaker " << i;
    EXPECT_EQ(made.error().code, Errc::config) << "breaker " << i;
  }
  EXPECT_FALSE(make_two_factor_service(base_config(), nullptr, store, clock, nullptr).ok());
  EXPECT_TRUE(make_two_factor_service(base_config(), vault, store, clock, nullptr).ok());
}

class RecordingAuditSink final : public AuditSink {
 public:
  Status record(const Caller& caller, const AuditEvent& event) override {
    actors.emplace_back(caller.actor);
    lines.push_back(std::string(event.action) + " " + std::string(event.outcome) + " " +
                    std::string(event.reason));
    if (failing) return make_error(Errc::internal, "disk full");
    return {};
  }
  std::vector<std::string> actors;
  std::vector<std::string> lines;
  bool failing = false;
};

TEST_F(FactoryTest, EveryOutcomeIsAuditedWithoutSecrets) {
  auto sink = std::make_shared<RecordingAuditSink>();
  auto made = make_two_factor_service(base_config(), vault, store, clock, nullptr, sink);
  ASSERT_TRUE(made.ok());
  service = std::move(*made);
  Enrollment e = enroll();
  const std::string secret(e.secret_base32.view());
  const std::string c = code(secret);
  ASSERT_TRUE(service->confirm_totp(caller, "default", "alice", c)->valid);
  ASSERT_EQ(verify_ok(c).reason, VerifyReason::replayed);
  ASSERT_EQ(service->verify(caller, "default", "alice", "1").error().code, Errc::invalid_argument);

  const std::vector<std::string> expected = {"totp.enroll ok ", "totp.confirm valid ",
                                             "verify invalid replayed",
                                             "verify error invalid_argument"};
  EXPECT_EQ(sink->lines, expected);
  EXPECT_EQ(sink->actors.front(), caller.actor);
  for (const auto& line : sink->lines) {
    EXPECT_EQ(line.find(secret), std::string::npos);
    EXPECT_EQ(line.find(c), std::string::npos);
  }
}

TEST_F(FactoryTest, AnUnauditableSuccessFails) {
  auto sink = std::make_shared<RecordingAuditSink>();
  sink->failing = true;
  auto made = make_two_factor_service(base_config(), vault, store, clock, nullptr, sink);
  ASSERT_TRUE(made.ok());
  auto r = (*made)->enroll_totp(caller, {.tenant = "default", .user = "alice"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::audit_unavailable);
}

}  // namespace
}  // namespace hsm2fa::testing
