#include <gtest/gtest.h>

#include <numeric>

#include "latency.hpp"

namespace hsm2fa::bench {
namespace {

TEST(Latency, NearestRankPercentilesOfOneToHundredMs) {
  std::vector<std::int64_t> ns(100);
  std::iota(ns.begin(), ns.end(), 1);
  for (auto& v : ns) v *= 1'000'000;  // 1..100 ms
  std::reverse(ns.begin(), ns.end());
  const LatencySummary s = summarize(ns);
  EXPECT_EQ(s.samples, 100u);
  EXPECT_DOUBLE_EQ(s.p50_ms, 50.0);
  EXPECT_DOUBLE_EQ(s.p90_ms, 90.0);
  EXPECT_DOUBLE_EQ(s.p99_ms, 99.0);
  EXPECT_DOUBLE_EQ(s.max_ms, 100.0);
}

TEST(Latency, SingleSampleAndEmpty) {
  std::vector<std::int64_t> one{2'500'000};
  const LatencySummary s = summarize(one);
  EXPECT_DOUBLE_EQ(s.p50_ms, 2.5);
  EXPECT_DOUBLE_EQ(s.p99_ms, 2.5);
  std::vector<std::int64_t> none;
  EXPECT_EQ(summarize(none).samples, 0u);
  EXPECT_DOUBLE_EQ(summarize(none).max_ms, 0.0);
}

}  // namespace
}  // namespace hsm2fa::bench
