// Throttling after failed attempts (DESIGN.md "Verification rules"): free failures, then an
// exponential wait, then a lock. Pure, shared by the stores (which apply it atomically) and the
// service (which reads it).
#pragma once

#include <chrono>
#include <cstdint>

namespace hsm2fa {

struct ThrottlePolicy {
  int free_failures = 5;
  std::chrono::milliseconds base{1000};
  std::chrono::milliseconds max_wait{std::chrono::minutes(5)};
  int max_failures = 20;  // at most 100 (NIST SP 800-63B 5.2.2)
  std::chrono::seconds lock_for{std::chrono::minutes(15)};
};

// Per-user state, times in Unix milliseconds; 0 means "none".
struct ThrottleState {
  int failures = 0;
  std::int64_t not_before_ms = 0;    // no attempt is evaluated before this
  std::int64_t locked_until_ms = 0;  // locked by max_failures until then (or an admin unlock)

  // Milliseconds until an attempt may be evaluated at `now_ms`; 0 when allowed.
  std::int64_t wait_ms(std::int64_t now_ms) const {
    std::int64_t until = locked_until_ms > not_before_ms ? locked_until_ms : not_before_ms;
    return until > now_ms ? until - now_ms : 0;
  }
};

// The state after one more failure at `now_ms`, given the state before it.
// k = failures after this one: k < free -> no wait; k >= free -> wait min(base * 2^(k - free),
// max_wait); k >= max_failures -> locked for lock_for.
ThrottleState after_failure(const ThrottleState& before, const ThrottlePolicy& policy,
                            std::int64_t now_ms);

}  // namespace hsm2fa
