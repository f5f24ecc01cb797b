#include <chrono>

#include "service_fixture.hpp"

namespace hsm2fa::testing {
namespace {

using std::chrono::milliseconds;

class ThrottleTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceConfig config = base_config();
    config.throttle = ThrottlePolicy{.free_failures = 2,
                                     .base = milliseconds(1000),
                                     .max_wait = milliseconds(4000),
                                     .max_failures = 5,
                                     .lock_for = std::chrono::seconds(900)};
    build(std::move(config));
    secret = activate();
  }

  void fail_once() { ASSERT_EQ(verify_ok(wrong_code(secret)).reason, VerifyReason::wrong_code); }

  // A correct code while backing off: refused, and the token is never asked.
  void expect_rate_limited(std::int64_t retry_after) {
    const int oracle_calls = vault->oracle_calls();
    auto r = service->verify(caller, "default", "alice", code(secret));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::rate_limited);
    EXPECT_EQ(r.error().retry_after_seconds, retry_after);
    EXPECT_EQ(vault->oracle_calls(), oracle_calls) << "the code was evaluated";
  }

  std::string secret;
};

TEST_F(ThrottleTest, BackoffGrowsThenLocksAndUnlockClearsIt) {
  fail_once();
  fail_once();  // the free failures are used up: the next attempt waits 1 s
  expect_rate_limited(1);
  clock->advance(milliseconds(1000));
  fail_once();  // waits 2 s
  expect_rate_limited(2);
  clock->advance(milliseconds(1500));
  expect_rate_limited(1);  // 500 ms left rounds up
  clock->advance(milliseconds(500));
  fail_once();  // waits 4 s, the cap
  expect_rate_limited(4);
  clock->advance(milliseconds(4000));
  fail_once();  // the fifth: locked for 900 s
  expect_rate_limited(900);
  EXPECT_EQ(service->user("default", "alice")->locked_until, clock->unix_seconds() + 900);
  clock->advance(milliseconds(4000));
  expect_rate_limited(896);

  auto unlocked = service->unlock(caller, "default", "alice");
  ASSERT_TRUE(unlocked.ok());
  EXPECT_EQ(unlocked->locked_until, 0);
  EXPECT_TRUE(verify_ok(code(secret)).valid);
}

TEST_F(ThrottleTest, LockEndsAfterLockFor) {
  for (int i = 0; i < 5; ++i) {
    clock->advance(milliseconds(4000));
    fail_once();
  }
  expect_rate_limited(900);
  advance_seconds(900);
  EXPECT_TRUE(verify_ok(code(secret)).valid);
}

TEST_F(ThrottleTest, ReplaysCountAndSuccessResets) {
  const std::string c = code(secret);
  ASSERT_TRUE(verify_ok(c).valid);
  EXPECT_EQ(verify_ok(c).reason, VerifyReason::replayed);
  EXPECT_EQ(store->user_state("default", "alice")->throttle.failures, 1);
  advance_seconds(30);
  ASSERT_TRUE(verify_ok(code(secret)).valid);
  EXPECT_EQ(store->user_state("default", "alice")->throttle.failures, 0);
}

TEST_F(ThrottleTest, RateLimitedEvenForMalformedCodes) {
  fail_once();
  fail_once();
  auto r = service->verify(caller, "default", "alice", "12");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::rate_limited);
}

}  // namespace
}  // namespace hsm2fa::testing
