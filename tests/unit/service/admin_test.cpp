#include "service_fixture.hpp"

namespace hsm2fa::testing {
namespace {

using AdminTest = ServiceTest;

TEST_F(AdminTest, BadIdentifiersAreInvalidArgumentEverywhere) {
  const std::string bad[] = {"",     std::string(129, 'a'), "a b", "a/b", "caf\xc3\xa9", "a:b",
                             "a\nb", std::string("a\0b", 3)};
  for (const auto& id : bad) {
    EXPECT_EQ(service->user("default", id).error().code, Errc::invalid_argument) << id;
    EXPECT_EQ(service->user(id, "alice").error().code, Errc::invalid_argument) << id;
    EXPECT_EQ(service->verify(caller, "default", id, "123456").error().code,
              Errc::invalid_argument);
    EXPECT_EQ(service->enroll_totp(caller, {.tenant = "default", .user = id}).error().code,
              Errc::invalid_argument);
  }
  EXPECT_TRUE(service->user("default", std::string(128, 'a')).ok());
  EXPECT_TRUE(service->user("default", "A-z_0.9@example+tag").ok());
  EXPECT_EQ(vault->generate_calls(), 0);
}

TEST_F(AdminTest, UnknownTenantIsNotFound) {
  EXPECT_EQ(service->user("nosuch", "alice").error().code, Errc::not_found);
  EXPECT_EQ(service->verify(caller, "nosuch", "alice", "123456").error().code, Errc::not_found);
}

TEST_F(AdminTest, UnknownUserIsAllOff) {
  auto v = service->user("default", "nobody");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->tenant, "default");
  EXPECT_EQ(v->user, "nobody");
  EXPECT_FALSE(v->two_factor_enabled);
  EXPECT_EQ(v->totp, TotpStatus::none);
  EXPECT_FALSE(v->email);
  EXPECT_EQ(v->push_devices, 0);
  EXPECT_EQ(v->locked_until, 0);
}

TEST_F(AdminTest, UserViewFollowsTheTotpState) {
  enroll();
  EXPECT_EQ(service->user("default", "alice")->totp, TotpStatus::pending);
  activate();
  EXPECT_EQ(service->user("default", "alice")->totp, TotpStatus::active);
}

TEST_F(AdminTest, DisableNeedsAReason) {
  for (const char* reason : {"", "   ", "bad\nline"}) {
    auto r = service->set_two_factor(caller, "default", "alice", false, reason, 0);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
  }
  auto past = service->set_two_factor(caller, "default", "alice", false, "lost phone", kStart);
  EXPECT_EQ(past.error().code, Errc::invalid_argument) << "until in the past";
}

TEST_F(AdminTest, EnableAndTimeBoxedDisable) {
  auto on = service->set_two_factor(caller, "default", "alice", true, "", 0);
  ASSERT_TRUE(on.ok());
  EXPECT_TRUE(on->two_factor_enabled);

  auto off =
      service->set_two_factor(caller, "default", "alice", false, "lost phone", kStart + 3600);
  ASSERT_TRUE(off.ok()) << off.error().message;
  EXPECT_FALSE(off->two_factor_enabled);
  EXPECT_EQ(store->user_state("default", "alice")->disabled_reason, "lost phone");
  advance_seconds(3599);
  EXPECT_FALSE(service->user("default", "alice")->two_factor_enabled);
  advance_seconds(1);
  EXPECT_TRUE(service->user("default", "alice")->two_factor_enabled) << "time box lapsed";
}

TEST_F(AdminTest, DisableWithoutTimeBoxStaysOff) {
  ASSERT_TRUE(service->set_two_factor(caller, "default", "alice", true, "", 0).ok());
  ASSERT_TRUE(service->set_two_factor(caller, "default", "alice", false, "migration", 0).ok());
  advance_seconds(365 * 24 * 3600);
  EXPECT_FALSE(service->user("default", "alice")->two_factor_enabled);
}

TEST_F(AdminTest, DeleteDestroysEverySeed) {
  activate();
  ASSERT_TRUE(
      service->enroll_totp(caller, {.tenant = "default", .user = "alice", .replace = true}).ok());
  EXPECT_EQ(vault->live_seeds(), 2u);
  ASSERT_TRUE(service->delete_totp(caller, "default", "alice").ok());
  EXPECT_EQ(vault->live_seeds(), 0u);
  EXPECT_EQ(service->user("default", "alice")->totp, TotpStatus::none);
  EXPECT_EQ(service->delete_totp(caller, "default", "alice").error().code, Errc::not_found);
}

TEST_F(AdminTest, DeleteReportsASeedTheTokenCouldNotDestroy) {
  activate();
  vault->fail(FakeSeedVault::Op::destroy);
  auto r = service->delete_totp(caller, "default", "alice");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::hsm_unavailable);
  EXPECT_EQ(verify_ok("123456").reason, VerifyReason::not_enrolled);
}

TEST_F(AdminTest, FailuresAfterGenerateLeaveNoSeedBehind) {
  store->fail(FakeStore::Op::put_pending);
  auto r = service->enroll_totp(caller, {.tenant = "default", .user = "alice"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::store_unavailable);
  store->fail(FakeStore::Op::put_pending, false);
  vault->fail(FakeSeedVault::Op::export_seed);
  r = service->enroll_totp(caller, {.tenant = "default", .user = "alice"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::hsm_unavailable);
  EXPECT_EQ(vault->generate_calls(), 2);
  EXPECT_EQ(vault->live_seeds(), 0u);
  EXPECT_FALSE(credential(CredentialState::pending));
}

TEST_F(AdminTest, HealthReportsEachPart) {
  Health h = service->health();
  EXPECT_TRUE(h.store_up);
  EXPECT_TRUE(h.hsm_up);
  EXPECT_TRUE(h.weaker_custody) << "tenant acme uses policy always";
  probe = make_error(Errc::hsm_unavailable, "gone");
  store->fail(FakeStore::Op::read);
  h = service->health();
  EXPECT_FALSE(h.store_up);
  EXPECT_FALSE(h.hsm_up);
}

TEST_F(AdminTest, HealthWithoutWeakerCustodyOrProbe) {
  ServiceConfig config;
  config.tenants["default"] = TenantConfig{};
  auto made = make_two_factor_service(std::move(config), vault, store, clock, nullptr);
  ASSERT_TRUE(made.ok());
  Health h = (*made)->health();
  EXPECT_FALSE(h.weaker_custody);
  EXPECT_FALSE(h.hsm_up) << "no probe: the token counts as down";
  EXPECT_TRUE(h.store_up);
}

}  // namespace
}  // namespace hsm2fa::testing
