// The token's circuit breaker. After `failures_to_open` consecutive token-gone outcomes (a
// device, token or session error, or a call cut off at its deadline) token work is refused at
// once instead of waiting on a dead token. After a back-off one caller is let through as the
// probe (half-open): its success closes the breaker, its failure reopens it with the back-off
// doubled, up to `max_backoff`. Thread-safe; time comes from `now` so tests drive it by hand.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>

namespace hsm2fa::hsm {

struct BreakerPolicy {
  unsigned failures_to_open = 5;
  std::chrono::milliseconds first_backoff{500};
  std::chrono::milliseconds max_backoff{10000};
};

class CircuitBreaker {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using Now = std::function<TimePoint()>;
  enum class State { closed, open, half_open };
  enum class Admission { call, probe, refuse };

  explicit CircuitBreaker(BreakerPolicy policy, Now now = &std::chrono::steady_clock::now);

  // Whether a caller may reach the token now. `probe` hands the caller the half-open trial: it
  // must report succeeded() or failed() (every caller that was admitted must).
  Admission admit();
  // The token answered (whatever the answer was): the breaker closes.
  void succeeded();
  // The token is gone or too slow.
  void failed();

  State state() const;
  // Times the breaker went from closed to open.
  std::uint64_t openings() const;

 private:
  void open_locked(std::chrono::milliseconds backoff);

  const BreakerPolicy policy_;
  const Now now_;
  mutable std::mutex mutex_;
  State state_ = State::closed;
  unsigned consecutive_failures_ = 0;
  std::chrono::milliseconds backoff_{0};
  TimePoint retry_at_{};
  std::uint64_t openings_ = 0;
};

}  // namespace hsm2fa::hsm
