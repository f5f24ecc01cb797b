// /metrics shows the wrapped vault's key cache when it is on, and nothing of it when it is off.
#include <gtest/gtest.h>

#include "hsm2fa/http/metrics.hpp"

namespace hsm2fa::http {
namespace {

TEST(KeyCacheMetrics, RenderedWhenTheCacheIsOn) {
  Metrics metrics("1.0", [] {
    TokenMetrics t;
    t.key_cache_hits = 41;
    t.key_cache_misses = 7;
    t.key_cache_evictions = 2;
    t.key_cache_size = 5;
    t.key_cache_capacity = 5;
    return t;
  });
  const std::string text = metrics.render();
  EXPECT_NE(text.find("hsm2fa_key_cache_hits_total 41\n"), std::string::npos);
  EXPECT_NE(text.find("hsm2fa_key_cache_misses_total 7\n"), std::string::npos);
  EXPECT_NE(text.find("hsm2fa_key_cache_evictions_total 2\n"), std::string::npos);
  EXPECT_NE(text.find("hsm2fa_key_cache_keys 5\n"), std::string::npos);
  EXPECT_NE(text.find("hsm2fa_key_cache_capacity 5\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE hsm2fa_key_cache_hits_total counter"), std::string::npos);
}

TEST(KeyCacheMetrics, AbsentWhenTheCacheIsOff) {
  Metrics metrics("1.0", [] { return TokenMetrics{}; });
  const std::string text = metrics.render();
  EXPECT_NE(text.find("hsm2fa_hsm_up 0"), std::string::npos);
  EXPECT_EQ(text.find("hsm2fa_key_cache"), std::string::npos);
}

}  // namespace
}  // namespace hsm2fa::http
