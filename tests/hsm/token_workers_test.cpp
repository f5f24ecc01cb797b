// The threads that run token work for callers with a deadline: a job that waits on another job
// gets a thread of its own, and the thread that went idle last takes the next job.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "token_workers.hpp"

namespace hsm2fa::hsm {
namespace {

using namespace std::chrono_literals;

// Polls until `workers` has `n` idle threads; false after 10 s.
bool wait_idle(const TokenWorkers& workers, std::size_t n) {
  for (int i = 0; i < 10'000; ++i) {
    if (workers.idle_threads() == n) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

// Runs one job and returns the id of the thread that ran it.
std::thread::id run_one(TokenWorkers& workers) {
  auto ran = std::make_shared<std::promise<std::thread::id>>();
  auto on = ran->get_future();
  workers.post([ran] { ran->set_value(std::this_thread::get_id()); });
  EXPECT_EQ(on.wait_for(10s), std::future_status::ready);
  return on.valid() ? on.get() : std::thread::id{};
}

TEST(TokenWorkers, JobWaitingOnALaterJobGetsASecondThread) {
  TokenWorkers workers(2);
  auto second_ran = std::make_shared<std::promise<void>>();
  auto first_done = std::make_shared<std::promise<bool>>();
  workers.post([second = second_ran->get_future().share(), first_done] {
    first_done->set_value(second.wait_for(10s) == std::future_status::ready);
  });
  workers.post([second_ran] { second_ran->set_value(); });
  auto done = first_done->get_future();
  ASSERT_EQ(done.wait_for(20s), std::future_status::ready);
  EXPECT_TRUE(done.get());
}

TEST(TokenWorkers, TheThreadThatWentIdleLastTakesTheNextJob) {
  TokenWorkers workers(2);
  // Two jobs at once make two threads; release them one after the other.
  std::promise<void> release_a, release_b;
  auto a_id = std::make_shared<std::promise<std::thread::id>>();
  auto b_id = std::make_shared<std::promise<std::thread::id>>();
  workers.post([go = release_a.get_future().share(), a_id] {
    a_id->set_value(std::this_thread::get_id());
    go.wait();
  });
  workers.post([go = release_b.get_future().share(), b_id] {
    b_id->set_value(std::this_thread::get_id());
    go.wait();
  });
  const std::thread::id a = a_id->get_future().get();
  const std::thread::id b = b_id->get_future().get();
  ASSERT_NE(a, b);
  release_a.set_value();
  ASSERT_TRUE(wait_idle(workers, 1));
  release_b.set_value();
  ASSERT_TRUE(wait_idle(workers, 2));
  // b went idle last: it runs every job while one at a time is enough.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(run_one(workers), b);
    ASSERT_TRUE(wait_idle(workers, 2));
  }
}

}  // namespace
}  // namespace hsm2fa::hsm
