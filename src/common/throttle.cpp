#include "hsm2fa/throttle.hpp"

#include <algorithm>

namespace hsm2fa {

ThrottleState after_failure(const ThrottleState& before, const ThrottlePolicy& policy,
                            std::int64_t now_ms) {
  ThrottleState next = before;
  next.failures = before.failures + 1;
  const int k = next.failures;
  if (k >= policy.free_failures) {
    // Cap the exponent: 2^40 ms already exceeds any sane max_wait.
    const int exponent = std::min(k - policy.free_failures, 40);
    const std::int64_t wait =
        std::min<std::int64_t>(policy.base.count() << exponent, policy.max_wait.count());
    next.not_before_ms = now_ms + wait;
  }
  if (k >= policy.max_failures) {
    next.locked_until_ms =
        now_ms + std::chrono::duration_cast<std::chrono::milliseconds>(policy.lock_for).count();
  }
  return next;
}

}  // namespace hsm2fa
