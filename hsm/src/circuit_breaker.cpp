#include "circuit_breaker.hpp"

#include <algorithm>

namespace hsm2fa::hsm {
namespace {

BreakerPolicy normalized(BreakerPolicy policy) {
  policy.failures_to_open = std::max(policy.failures_to_open, 1u);
  policy.max_backoff = std::max(policy.max_backoff, std::chrono::milliseconds(1));
  policy.first_backoff =
      std::clamp(policy.first_backoff, std::chrono::milliseconds(1), policy.max_backoff);
  return policy;
}

}  // namespace

CircuitBreaker::CircuitBreaker(BreakerPolicy policy, Now now)
    : policy_(normalized(policy)), now_(std::move(now)) {}

CircuitBreaker::Admission CircuitBreaker::admit() {
  std::lock_guard lock(mutex_);
  switch (state_) {
    case State::closed:
      return Admission::call;
    case State::half_open:
      return Admission::refuse;  // one probe at a time
    case State::open:
      if (now_() < retry_at_) return Admission::refuse;
      state_ = State::half_open;
      return Admission::probe;
  }
  return Admission::refuse;
}

void CircuitBreaker::succeeded() {
  std::lock_guard lock(mutex_);
  state_ = State::closed;
  consecutive_failures_ = 0;
  backoff_ = std::chrono::milliseconds(0);
}

void CircuitBreaker::failed() {
  std::lock_guard lock(mutex_);
  switch (state_) {
    case State::closed:
      if (++consecutive_failures_ >= policy_.failures_to_open) {
        ++openings_;
        open_locked(policy_.first_backoff);
      }
      return;
    case State::half_open:
      // The probe (or a call admitted before the breaker opened) failed: wait longer.
      open_locked(std::min(backoff_ * 2, policy_.max_backoff));
      return;
    case State::open:
      return;  // a straggler admitted while closed; the back-off already runs
  }
}

void CircuitBreaker::open_locked(std::chrono::milliseconds backoff) {
  state_ = State::open;
  backoff_ = std::clamp(backoff, std::chrono::milliseconds(1), policy_.max_backoff);
  retry_at_ = now_() + backoff_;
}

CircuitBreaker::State CircuitBreaker::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::uint64_t CircuitBreaker::openings() const {
  std::lock_guard lock(mutex_);
  return openings_;
}

}  // namespace hsm2fa::hsm
