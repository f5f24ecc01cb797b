// Every operation a caller asks of the token passes this gate: the circuit breaker first (a dead
// token is refused in microseconds), then the work runs on a token worker while the caller waits
// at most the call timeout. A caller that times out gets Errc::hsm_unavailable and leaves the
// work behind: it finishes on its worker, holding its session until the module returns, and its
// late result goes to `on_late` (or is dropped) instead of to anyone who could act on it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "circuit_breaker.hpp"
#include "hsm2fa/result.hpp"
#include "token_workers.hpp"

namespace hsm2fa::hsm {

struct GateConfig {
  std::chrono::milliseconds call_timeout{2000};  // zero: no deadline, the work runs inline
  BreakerPolicy breaker;
  std::size_t max_threads = 64;  // bounds the calls left stalled in the module at once
};

class TokenGate {
 public:
  explicit TokenGate(const GateConfig& config,
                     CircuitBreaker::Now now = &std::chrono::steady_clock::now)
      : timeout_(config.call_timeout),
        breaker_(config.breaker, std::move(now)),
        workers_(config.max_threads) {}

  // `work` returns Result<T> and owns everything it uses: it may outlive this call. Work
  // started from a worker thread runs inline, under the deadline of the call that started it.
  template <class T, class Work>
  Result<T> run(std::string_view what, Work work) {
    return run<T>(what, std::move(work), [](Result<T>&&) {});
  }
  template <class T, class Work, class Late>
  Result<T> run(std::string_view what, Work work, Late on_late);

  const CircuitBreaker& breaker() const noexcept { return breaker_; }
  std::uint64_t timeouts() const noexcept { return timeouts_.load(std::memory_order_relaxed); }
  std::uint64_t refusals() const noexcept { return refusals_.load(std::memory_order_relaxed); }

 private:
  Error refused(std::string_view what);
  Error timed_out(std::string_view what);
  // The breaker learns whether the token answered: only a token-gone error counts against it.
  void observe(const Error* error);

  std::chrono::milliseconds timeout_;
  CircuitBreaker breaker_;
  std::atomic<std::uint64_t> timeouts_{0};
  std::atomic<std::uint64_t> refusals_{0};
  TokenWorkers workers_;  // last: its threads stop before the members above go
};

template <class T, class Work, class Late>
Result<T> TokenGate::run(std::string_view what, Work work, Late on_late) {
  if (TokenWorkers::on_worker_thread()) return work();
  if (breaker_.admit() == CircuitBreaker::Admission::refuse) return refused(what);
  if (timeout_.count() <= 0) {
    Result<T> result = work();
    observe(result.ok() ? nullptr : &result.error());
    return result;
  }
  // The worker drops `work` and `on_late` before it hands the result over: while the caller
  // still waits, that only releases references, so whatever they hold (up to the Token itself)
  // is never destroyed on a worker unless the caller gave up.
  struct Handoff {
    std::mutex mutex;
    std::condition_variable done;
    std::unique_ptr<Work> work;
    std::unique_ptr<Late> on_late;
    std::optional<Result<T>> result;
    bool abandoned = false;
  };
  auto handoff = std::make_shared<Handoff>();
  handoff->work = std::make_unique<Work>(std::move(work));
  handoff->on_late = std::make_unique<Late>(std::move(on_late));
  workers_.post([handoff] {
    std::unique_lock lock(handoff->mutex);
    std::unique_ptr<Work> job = std::move(handoff->work);
    std::unique_ptr<Late> late = std::move(handoff->on_late);
    if (handoff->abandoned) return;  // the caller gave up before the token was touched
    lock.unlock();
    Result<T> result = (*job)();
    lock.lock();
    if (handoff->abandoned) {
      lock.unlock();
      (*late)(std::move(result));
      return;
    }
    job.reset();
    late.reset();
    handoff->result.emplace(std::move(result));
    handoff->done.notify_one();
  });
  std::unique_lock lock(handoff->mutex);
  if (!handoff->done.wait_for(lock, timeout_, [&] { return handoff->result.has_value(); })) {
    handoff->abandoned = true;
    lock.unlock();
    return timed_out(what);
  }
  Result<T> result = std::move(*handoff->result);
  handoff->result.reset();
  lock.unlock();
  observe(result.ok() ? nullptr : &result.error());
  return result;
}

}  // namespace hsm2fa::hsm
