#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "service_fixture.hpp"

namespace hsm2fa::testing {
namespace {

// Holds every caller until `parties` have arrived (or a generous safety limit passes, so a
// broken service fails the test instead of hanging it).
class Gate {
 public:
  explicit Gate(int parties) : waiting_for_(parties) {}
  void arrive_and_wait() {
    std::unique_lock lock(mutex_);
    if (--waiting_for_ <= 0) {
      cv_.notify_all();
      return;
    }
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return waiting_for_ <= 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int waiting_for_;
};

using ConcurrentVerifyTest = ServiceTest;

// Keycloak #13867: two verifies of one code racing past a read-then-write check.
TEST_F(ConcurrentVerifyTest, OneCodeFromEightThreadsIsValidExactlyOnce) {
  ServiceConfig config = base_config();
  config.throttle.free_failures = 50;  // replays must not turn into rate_limited here
  config.throttle.max_failures = 100;
  build(std::move(config));
  const std::string secret = activate();
  const std::string c = code(secret);

  constexpr int kThreads = 8;
  Gate gate(kThreads);
  // Every thread has matched the code against the same last_step before any compare-and-set.
  store->before_accept([&] { gate.arrive_and_wait(); });
  std::vector<Result<VerifyResult>> results(kThreads, make_error(Errc::internal, "not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] { results[i] = service->verify(caller, "default", "alice", c); });
  }
  for (auto& t : threads) t.join();

  int valid = 0;
  int replayed = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.error().message;
    valid += r->valid ? 1 : 0;
    replayed += r->reason == VerifyReason::replayed ? 1 : 0;
  }
  EXPECT_EQ(valid, 1);
  EXPECT_EQ(replayed, kThreads - 1);
  EXPECT_EQ(store->accept_calls(), kThreads);
}

}  // namespace
}  // namespace hsm2fa::testing
