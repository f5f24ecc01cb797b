// /metrics shows the token's call timeouts and circuit breaker.
#include <gtest/gtest.h>

#include "hsm2fa/http/metrics.hpp"

namespace hsm2fa::http {
namespace {

TEST(BreakerMetrics, TimeoutsAndBreakerAreRendered) {
  Metrics metrics("1.0", [] {
    TokenMetrics t;
    t.breaker_open = true;
    t.call_timeouts = 3;
    t.breaker_refusals = 17;
    return t;
  });
  const std::string text = metrics.render();
  EXPECT_NE(text.find("hsm2fa_hsm_call_timeouts_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("hsm2fa_hsm_breaker_open 1\n"), std::string::npos);
  EXPECT_NE(text.find("hsm2fa_hsm_breaker_refusals_total 17\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE hsm2fa_hsm_call_timeouts_total counter"), std::string::npos);
  EXPECT_NE(text.find("# TYPE hsm2fa_hsm_breaker_open gauge"), std::string::npos);
}

TEST(BreakerMetrics, ClosedBreakerReadsZero) {
  Metrics metrics("1.0", [] { return TokenMetrics{}; });
  const std::string text = metrics.render();
  EXPECT_NE(text.find("hsm2fa_hsm_breaker_open 0\n"), std::string::npos);
  EXPECT_NE(text.find("hsm2fa_hsm_call_timeouts_total 0\n"), std::string::npos);
}

}  // namespace
}  // namespace hsm2fa::http
