// The circuit breaker's state machine on a hand-driven clock: no sleeps, no timing.
#include <gtest/gtest.h>

#include "circuit_breaker.hpp"

namespace hsm2fa::hsm {
namespace {

using std::chrono::milliseconds;
using Admission = CircuitBreaker::Admission;
using State = CircuitBreaker::State;

class BreakerTest : public ::testing::Test {
 protected:
  BreakerTest() : breaker_(policy(), [this] { return now_; }) {}

  static BreakerPolicy policy() {
    BreakerPolicy p;
    p.failures_to_open = 3;
    p.first_backoff = milliseconds(500);
    p.max_backoff = milliseconds(2000);
    return p;
  }

  void fail_times(int n) {
    for (int i = 0; i < n; ++i) breaker_.failed();
  }
  // Moves the clock to just before and just after `backoff` and checks the breaker opens its
  // half-open door exactly then, to one probe.
  void expect_backoff(milliseconds backoff) {
    now_ += backoff - milliseconds(1);
    EXPECT_EQ(breaker_.admit(), Admission::refuse)
        << "1 ms before a back-off of " << backoff.count();
    now_ += milliseconds(1);
    EXPECT_EQ(breaker_.admit(), Admission::probe) << "after a back-off of " << backoff.count();
    EXPECT_EQ(breaker_.state(), State::half_open);
    EXPECT_EQ(breaker_.admit(), Admission::refuse) << "a second caller while the probe runs";
  }

  CircuitBreaker::TimePoint now_{std::chrono::hours(1)};
  CircuitBreaker breaker_;
};

TEST_F(BreakerTest, StaysClosedBelowTheThreshold) {
  fail_times(2);
  EXPECT_EQ(breaker_.state(), State::closed);
  EXPECT_EQ(breaker_.admit(), Admission::call);
}

TEST_F(BreakerTest, ASuccessResetsTheCount) {
  fail_times(2);
  breaker_.succeeded();
  fail_times(2);
  EXPECT_EQ(breaker_.state(), State::closed);
  breaker_.failed();
  EXPECT_EQ(breaker_.state(), State::open);
}

TEST_F(BreakerTest, OpensAtTheThresholdAndRefuses) {
  fail_times(3);
  EXPECT_EQ(breaker_.state(), State::open);
  EXPECT_EQ(breaker_.openings(), 1u);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(breaker_.admit(), Admission::refuse);
}

TEST_F(BreakerTest, ProbeSuccessCloses) {
  fail_times(3);
  expect_backoff(milliseconds(500));
  breaker_.succeeded();
  EXPECT_EQ(breaker_.state(), State::closed);
  EXPECT_EQ(breaker_.admit(), Admission::call);
  // Closed means counting from zero again, with the first back-off.
  fail_times(3);
  expect_backoff(milliseconds(500));
  EXPECT_EQ(breaker_.openings(), 2u);
}

TEST_F(BreakerTest, FailedProbesDoubleTheBackoffUpToTheBound) {
  fail_times(3);
  expect_backoff(milliseconds(500));
  breaker_.failed();
  EXPECT_EQ(breaker_.state(), State::open);
  expect_backoff(milliseconds(1000));
  breaker_.failed();
  expect_backoff(milliseconds(2000));
  breaker_.failed();
  expect_backoff(milliseconds(2000));  // bounded
  breaker_.succeeded();
  fail_times(3);
  expect_backoff(milliseconds(500));  // a close forgets the escalation
}

TEST_F(BreakerTest, FailuresWhileOpenDoNotExtendTheBackoff) {
  fail_times(3);
  now_ += milliseconds(400);
  fail_times(5);  // stragglers admitted before it opened
  now_ += milliseconds(100);
  EXPECT_EQ(breaker_.admit(), Admission::probe);
}

TEST_F(BreakerTest, AStragglerSuccessWhileOpenCloses) {
  fail_times(3);
  breaker_.succeeded();  // the token answered after all
  EXPECT_EQ(breaker_.state(), State::closed);
  EXPECT_EQ(breaker_.admit(), Admission::call);
}

TEST(Breaker, ZeroThresholdOpensOnTheFirstFailure) {
  BreakerPolicy p;
  p.failures_to_open = 0;
  CircuitBreaker breaker(p, [] { return CircuitBreaker::TimePoint{}; });
  breaker.failed();
  EXPECT_EQ(breaker.state(), CircuitBreaker::State::open);
}

}  // namespace
}  // namespace hsm2fa::hsm
