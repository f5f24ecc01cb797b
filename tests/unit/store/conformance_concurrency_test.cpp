// Store conformance under contention: two store instances on the same database (as two daemon
// instances would be), several threads each.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <set>
#include <thread>

#include "store_backends.hpp"

namespace hsm2fa::store::testing {
namespace {

constexpr int kThreads = 8;

class ConcurrencyConformance : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    second_ = open();
    ASSERT_NE(second_, nullptr);
  }
  Store& store_for(int thread) { return thread % 2 == 0 ? *store_ : *second_; }
  std::shared_ptr<Store> second_;
};

TEST_P(ConcurrencyConformance, ExactlyOneRacerWinsEachStep) {
  constexpr int kRepetitions = 200;
  auto put = store_->put_pending_totp(pending_credential("t", "u", "p"));
  ASSERT_TRUE(put.ok());
  ASSERT_TRUE(store_->activate_totp(put->id, SeedRef{"l"}, 0).ok());
  const std::int64_t id = put->id;

  std::vector<std::atomic<int>> winners(kRepetitions);
  std::atomic<int> errors{0};
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < kRepetitions; ++rep) {
        start.arrive_and_wait();
        auto won = store_for(t).accept_totp_step(id, "t", "u", rep + 1);
        if (!won.ok()) {
          ++errors;
        } else if (*won) {
          ++winners[rep];
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();

  EXPECT_EQ(errors.load(), 0);
  int wrong = 0;
  for (int rep = 0; rep < kRepetitions; ++rep) {
    if (winners[rep].load() != 1) ++wrong;
  }
  EXPECT_EQ(wrong, 0) << "repetitions without exactly one winner";
  EXPECT_EQ(store_->totp_credentials("t", "u")->at(0).last_step, kRepetitions);
}

TEST_P(ConcurrencyConformance, ConcurrentFailuresAllCount) {
  constexpr int kPerThread = 25;
  ThrottlePolicy policy;
  policy.max_failures = 100;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (!store_for(t).record_failure("t", "u", policy, 1000).ok()) ++errors;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(store_->user_state("t", "u")->throttle.failures, kThreads * kPerThread);
}

TEST_P(ConcurrencyConformance, RacingEnrollmentsLeaveOnePendingAndReportEveryReplacedSeed) {
  std::vector<std::optional<SeedRef>> replaced(kThreads);
  std::atomic<int> errors{0};
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      auto put =
          store_for(t).put_pending_totp(pending_credential("t", "u", "seed-" + std::to_string(t)));
      if (!put.ok()) {
        ++errors;
      } else {
        replaced[t] = put->replaced;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(errors.load(), 0);

  const auto stored = store_->totp_credentials("t", "u");
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), 1u);
  // Every seed but the survivor was handed back exactly once, so none leaks in the token.
  std::multiset<std::string> seen{stored->at(0).seed.encoded};
  for (const auto& r : replaced) {
    if (r) seen.insert(r->encoded);
  }
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(kThreads));
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(seen.count("seed-" + std::to_string(t)), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, ConcurrencyConformance, ::testing::ValuesIn(store_backends()),
                         backend_name);

}  // namespace
}  // namespace hsm2fa::store::testing
