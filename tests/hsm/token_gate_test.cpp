// The token gate without a token: work that blocks until the test lets it go stands in for a
// stalled PKCS#11 call. Deadlines are short; nothing asserts on elapsed time.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <memory>

#include "token_gate.hpp"

namespace hsm2fa::hsm {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

GateConfig config(milliseconds timeout, unsigned failures_to_open = 3, std::size_t threads = 4) {
  GateConfig c;
  c.call_timeout = timeout;
  c.breaker.failures_to_open = failures_to_open;
  c.breaker.first_backoff = std::chrono::hours(1);  // never half-opens during a test
  c.breaker.max_backoff = std::chrono::hours(1);
  c.max_threads = threads;
  return c;
}

Result<int> token_gone() { return make_error(Errc::hsm_unavailable, "C_Sign: CKR_DEVICE_REMOVED"); }

TEST(TokenGate, PassesTheResultThrough) {
  TokenGate gate(config(seconds(30)));
  auto r = gate.run<int>("answer", [] { return Result<int>(42); });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 42);
  auto e = gate.run<int>("refusal", [] { return Result<int>(make_error(Errc::not_found, "x")); });
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, Errc::not_found);
  EXPECT_EQ(gate.timeouts(), 0u);
}

// What the work holds is released before the caller gets the answer: a caller that then drops
// its last reference destroys the object on its own thread, not on a worker.
TEST(TokenGate, WorkIsReleasedBeforeTheCallerIsAnswered) {
  TokenGate gate(config(seconds(30)));
  auto held = std::make_shared<int>(7);
  auto r = gate.run<int>("read", [held] { return Result<int>(*held); });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(held.use_count(), 1);
}

TEST(TokenGate, StalledWorkTimesOutIsCountedAndItsLateResultIsHandedOver) {
  TokenGate gate(config(milliseconds(50)));
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<int> late;
  auto late_value = late.get_future();
  auto r = gate.run<int>(
      "stalled",
      [released] {
        released.wait();
        return Result<int>(99);
      },
      [&late](Result<int>&& value) { late.set_value(value.ok() ? *value : -1); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::hsm_unavailable);
  EXPECT_EQ(gate.timeouts(), 1u);
  release.set_value();
  ASSERT_EQ(late_value.wait_for(seconds(30)), std::future_status::ready);
  EXPECT_EQ(late_value.get(), 99);
}

TEST(TokenGate, WorkWhoseCallerGaveUpBeforeItStartedNeverRuns) {
  TokenGate gate(config(milliseconds(500), 100, /*threads=*/1));
  std::promise<void> release;
  auto released = release.get_future().share();
  auto first = gate.run<int>("stalled", [released] {
    released.wait();
    return Result<int>(1);
  });
  ASSERT_FALSE(first.ok());
  std::atomic<bool> ran{false};
  auto second = gate.run<int>("queued", [&ran] {
    ran = true;
    return Result<int>(2);
  });
  ASSERT_FALSE(second.ok());
  release.set_value();
  // One thread, jobs in order: once a later job ran, the abandoned one was taken off the queue.
  std::promise<void> later;
  auto later_ran = later.get_future();
  (void)gate.run<int>("later", [&later] {
    later.set_value();
    return Result<int>(3);
  });
  ASSERT_EQ(later_ran.wait_for(seconds(30)), std::future_status::ready);
  EXPECT_FALSE(ran.load());
}

TEST(TokenGate, TokenGoneErrorsOpenTheBreakerWhichRefusesWithoutRunning) {
  TokenGate gate(config(seconds(30), 2));
  EXPECT_FALSE(gate.run<int>("a", token_gone).ok());
  EXPECT_EQ(gate.breaker().state(), CircuitBreaker::State::closed);
  EXPECT_FALSE(gate.run<int>("b", token_gone).ok());
  EXPECT_EQ(gate.breaker().state(), CircuitBreaker::State::open);
  std::atomic<int> runs{0};
  for (int i = 0; i < 5; ++i) {
    auto r = gate.run<int>("refused", [&runs] {
      ++runs;
      return Result<int>(1);
    });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::hsm_unavailable);
  }
  EXPECT_EQ(runs.load(), 0);
  EXPECT_EQ(gate.refusals(), 5u);
}

TEST(TokenGate, TimeoutsCountTowardsTheBreaker) {
  TokenGate gate(config(milliseconds(20), 2));
  std::promise<void> release;
  auto released = release.get_future().share();
  auto stall = [released] {
    released.wait();
    return Result<int>(1);
  };
  EXPECT_FALSE(gate.run<int>("stall 1", stall).ok());
  EXPECT_FALSE(gate.run<int>("stall 2", stall).ok());
  EXPECT_EQ(gate.breaker().state(), CircuitBreaker::State::open);
  release.set_value();
}

// An answer the token gave, even a refusal, proves it is there.
TEST(TokenGate, OtherErrorsKeepTheBreakerClosed) {
  TokenGate gate(config(seconds(30), 2));
  for (Errc code : {Errc::hsm_error, Errc::not_found, Errc::pin_incorrect, Errc::config}) {
    EXPECT_FALSE(gate.run<int>("x", [code] { return Result<int>(make_error(code, "x")); }).ok());
  }
  EXPECT_EQ(gate.breaker().state(), CircuitBreaker::State::closed);
  EXPECT_FALSE(gate.run<int>("a", token_gone).ok());
  EXPECT_TRUE(gate.run<int>("ok", [] { return Result<int>(1); }).ok());
  EXPECT_FALSE(gate.run<int>("b", token_gone).ok());
  EXPECT_EQ(gate.breaker().state(), CircuitBreaker::State::closed) << "a success in between";
}

// Token work that asks for more token work runs it inline, so a single thread cannot deadlock.
TEST(TokenGate, NestedWorkRunsInline) {
  TokenGate gate(config(seconds(30), 3, /*threads=*/1));
  auto r = gate.run<int>("outer", [&gate] {
    auto inner = gate.run<int>("inner", [] { return Result<int>(5); });
    if (!inner) return inner;
    return Result<int>(*inner + 1);
  });
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, 6);
}

TEST(TokenGate, ZeroTimeoutRunsOnTheCallersThread) {
  TokenGate gate(config(milliseconds(0)));
  const auto caller = std::this_thread::get_id();
  auto r = gate.run<int>(
      "inline", [caller] { return Result<int>(std::this_thread::get_id() == caller ? 1 : 0); });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 1);
}

}  // namespace
}  // namespace hsm2fa::hsm
