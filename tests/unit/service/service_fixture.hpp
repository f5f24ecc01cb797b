// A TwoFactorService over the fakes and a manual clock, with helpers that act like a user with
// an authenticator app.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "fake_seed_vault.hpp"
#include "fake_store.hpp"
#include "hsm2fa/clock.hpp"
#include "hsm2fa/service/two_factor_service.hpp"
#include "reference_totp.hpp"

namespace hsm2fa::testing {

using namespace hsm2fa::service;  // NOLINT: test code reads better without the prefix

class ServiceTest : public ::testing::Test {
 protected:
  // The start of a 30-second step, so that +/- a few seconds stay in the same step.
  static constexpr std::int64_t kStart = 1'700'000'010;

  // Tenants: "default" (until_confirmed), "acme" (always), "hw" (never).
  static ServiceConfig base_config() {
    ServiceConfig config;
    config.tenants["default"] = TenantConfig{};
    config.tenants["acme"] =
        TenantConfig{.issuer = "pro.dbflex.net", .export_policy = ExportPolicy::always};
    config.tenants["hw"] = TenantConfig{.export_policy = ExportPolicy::never};
    return config;
  }

  void SetUp() override { build(base_config()); }

  void build(ServiceConfig config) {
    vault = std::make_shared<FakeSeedVault>();
    store = std::make_shared<FakeStore>();
    clock = std::make_shared<ManualClock>(kStart);
    auto made =
        make_two_factor_service(std::move(config), vault, store, clock, [this] { return probe; });
    ASSERT_TRUE(made.ok()) << made.error().message;
    service = std::move(*made);
  }

  std::int64_t step(int period = 30) const { return clock->unix_seconds() / period; }
  void advance_seconds(std::int64_t s) { clock->advance(std::chrono::seconds(s)); }

  Enrollment enroll(const std::string& user = "alice", const std::string& tenant = "default") {
    auto e = service->enroll_totp(caller, EnrollRequest{.tenant = tenant, .user = user});
    EXPECT_TRUE(e.ok()) << (e ? "" : e.error().message);
    return e ? std::move(*e) : Enrollment{};
  }

  // The code an app paired with `secret` shows `offset` steps from now (SHA1, 6 digits, 30 s).
  std::string code(const std::string& secret, std::int64_t offset = 0) const {
    return reference_code(secret, HashAlg::sha1, 6, step() + offset);
  }

  // A well-formed code that matches no step in the window of +/- 2 steps.
  std::string wrong_code(const std::string& secret) const {
    for (char d = '0'; d <= '9'; ++d) {
      std::string candidate(6, d);
      bool matches = false;
      for (int offset = -2; offset <= 2; ++offset) matches |= candidate == code(secret, offset);
      if (!matches) return candidate;
    }
    ADD_FAILURE() << "no wrong code found";
    return "000000";
  }

  // Enrolls and confirms `user`, then moves to the next step so its codes are fresh.
  std::string activate(const std::string& user = "alice", const std::string& tenant = "default") {
    Enrollment e = enroll(user, tenant);
    std::string secret(e.secret_base32.view());
    auto confirmed = service->confirm_totp(caller, tenant, user, code(secret));
    EXPECT_TRUE(confirmed.ok() && confirmed->valid);
    advance_seconds(30);
    return secret;
  }

  VerifyResult verify_ok(const std::string& code_text, const std::string& user = "alice") {
    auto r = service->verify(caller, "default", user, code_text);
    EXPECT_TRUE(r.ok()) << (r ? "" : r.error().message);
    return r ? *r : VerifyResult{};
  }

  std::optional<TotpCredential> credential(CredentialState state, const std::string& user = "alice",
                                           const std::string& tenant = "default") {
    auto all = store->totp_credentials(tenant, user);
    if (!all) return std::nullopt;
    for (auto& c : *all) {
      if (c.state == state) return c;
    }
    return std::nullopt;
  }

  Caller caller{"uid=1000,gid=1000", "req-test"};
  Status probe;
  std::shared_ptr<FakeSeedVault> vault;
  std::shared_ptr<FakeStore> store;
  std::shared_ptr<ManualClock> clock;
  std::unique_ptr<TwoFactorService> service;
};

}  // namespace hsm2fa::testing
