// Store conformance: the users' 2FA switch and throttle counters.
#include <gtest/gtest.h>

#include "store_backends.hpp"

namespace hsm2fa::store::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class UserConformance : public StoreTest {
 protected:
  UserState state(std::string_view tenant, std::string_view user) {
    auto r = store_->user_state(tenant, user);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : UserState{};
  }
  ThrottleState fail(std::string_view tenant, std::string_view user, std::int64_t now_ms) {
    auto r = store_->record_failure(tenant, user, policy_, now_ms);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : ThrottleState{};
  }
  ThrottlePolicy policy_{2, milliseconds(1000), milliseconds(4000), 5, seconds(60)};
};

bool same(const ThrottleState& a, const ThrottleState& b) {
  return a.failures == b.failures && a.not_before_ms == b.not_before_ms &&
         a.locked_until_ms == b.locked_until_ms;
}

TEST_P(UserConformance, UnknownUserIsDefault) {
  const UserState s = state("t", "nobody");
  EXPECT_FALSE(s.two_factor_enabled);
  EXPECT_TRUE(s.disabled_reason.empty());
  EXPECT_EQ(s.disabled_until, 0);
  EXPECT_TRUE(same(s.throttle, ThrottleState{}));
}

TEST_P(UserConformance, TwoFactorSwitchRoundTrips) {
  ASSERT_TRUE(store_->set_two_factor("t", "u", true, "", 0).ok());
  EXPECT_TRUE(state("t", "u").two_factor_enabled);

  ASSERT_TRUE(store_->set_two_factor("t", "u", false, "lost phone", 1800000000).ok());
  UserState s = state("t", "u");
  EXPECT_FALSE(s.two_factor_enabled);
  EXPECT_EQ(s.disabled_reason, "lost phone");
  EXPECT_EQ(s.disabled_until, 1800000000);

  ASSERT_TRUE(store_->set_two_factor("t", "u", true, "", 0).ok());
  s = state("t", "u");
  EXPECT_TRUE(s.two_factor_enabled);
  EXPECT_TRUE(s.disabled_reason.empty());
  EXPECT_EQ(s.disabled_until, 0);
  EXPECT_FALSE(state("t2", "u").two_factor_enabled);  // per tenant
}

TEST_P(UserConformance, FailuresFollowThePolicyUpToTheLock) {
  const std::int64_t now = 1'000'000;
  // free 2, base 1 s doubling, capped at 4 s, locked for 60 s at the 5th failure.
  const ThrottleState expected[] = {
      {1, 0, 0},          {2, now + 1000, 0},           {3, now + 2000, 0},
      {4, now + 4000, 0}, {5, now + 4000, now + 60000},
  };
  ThrottleState chained;
  for (const ThrottleState& want : expected) {
    const ThrottleState got = fail("t", "u", now);
    chained = after_failure(chained, policy_, now);
    EXPECT_TRUE(same(got, want)) << "failure " << want.failures << ": " << got.failures << " "
                                 << got.not_before_ms << " " << got.locked_until_ms;
    EXPECT_TRUE(same(got, chained));
    EXPECT_TRUE(same(state("t", "u").throttle, got));
  }
  EXPECT_EQ(state("t", "u").throttle.wait_ms(now), 60000);
  EXPECT_EQ(state("t", "other").throttle.failures, 0);
  EXPECT_EQ(state("t2", "u").throttle.failures, 0);
}

TEST_P(UserConformance, ResetClearsCountAndLockButNotTheSwitch) {
  ASSERT_TRUE(store_->set_two_factor("t", "u", true, "", 0).ok());
  for (int i = 0; i < 5; ++i) fail("t", "u", 5000);
  ASSERT_GT(state("t", "u").throttle.locked_until_ms, 0);
  ASSERT_TRUE(store_->reset_throttle("t", "u").ok());
  const UserState s = state("t", "u");
  EXPECT_TRUE(same(s.throttle, ThrottleState{}));
  EXPECT_TRUE(s.two_factor_enabled);
  EXPECT_TRUE(store_->reset_throttle("t", "never-seen").ok());
}

TEST_P(UserConformance, SwitchDoesNotTouchTheThrottle) {
  fail("t", "u", 1000);
  fail("t", "u", 1000);
  ASSERT_TRUE(store_->set_two_factor("t", "u", false, "audit", 0).ok());
  EXPECT_EQ(state("t", "u").throttle.failures, 2);
}

TEST_P(UserConformance, AnAcceptedStepResetsTheThrottleAndAReplayDoesNot) {
  auto put = store_->put_pending_totp(pending_credential("t", "u", "p"));
  ASSERT_TRUE(put.ok());
  ASSERT_TRUE(store_->activate_totp(put->id, SeedRef{"l"}, 10).ok());
  for (int i = 0; i < 3; ++i) fail("t", "u", 1000);

  auto replay = store_->accept_totp_step(put->id, "t", "u", 10);
  ASSERT_TRUE(replay.ok());
  EXPECT_FALSE(*replay);
  EXPECT_EQ(state("t", "u").throttle.failures, 3);

  auto win = store_->accept_totp_step(put->id, "t", "u", 11);
  ASSERT_TRUE(win.ok());
  EXPECT_TRUE(*win);
  EXPECT_TRUE(same(state("t", "u").throttle, ThrottleState{}));
}

TEST_P(UserConformance, SwitchAndThrottleSurviveReopen) {
  ASSERT_TRUE(store_->set_two_factor("t", "u", false, "on leave", 1900000000).ok());
  for (int i = 0; i < 4; ++i) fail("t", "u", 7000);
  const UserState before = state("t", "u");

  reopen();
  const UserState after = state("t", "u");
  EXPECT_EQ(after.two_factor_enabled, before.two_factor_enabled);
  EXPECT_EQ(after.disabled_reason, "on leave");
  EXPECT_EQ(after.disabled_until, 1900000000);
  EXPECT_TRUE(same(after.throttle, before.throttle));
  EXPECT_EQ(after.throttle.failures, 4);
  EXPECT_EQ(fail("t", "u", 7000).failures, 5);  // counting continues across restarts
}

TEST_P(UserConformance, RefusesEmptyIdentifiers) {
  auto r = store_->record_failure("", "u", policy_, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  auto s = store_->set_two_factor("t", "", true, "", 0);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Backends, UserConformance, ::testing::ValuesIn(store_backends()),
                         backend_name);

}  // namespace
}  // namespace hsm2fa::store::testing
