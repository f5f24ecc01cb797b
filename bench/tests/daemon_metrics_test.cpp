#include <gtest/gtest.h>

#include "daemon_metrics.hpp"

namespace hsm2fa::bench {
namespace {

TEST(ParseMetricsText, ReadsSeriesWithAndWithoutLabelsAndSkipsComments) {
  const auto m = parse_metrics_text(
      "# HELP hsm2fa_hsm_calls_total PKCS#11 calls made.\n"
      "# TYPE hsm2fa_hsm_calls_total counter\n"
      "hsm2fa_hsm_calls_total 1234\n"
      "hsm2fa_verify_total{result=\"valid\"} 17\n"
      "odd{label=\"with } brace and \\\" quote\"} 3 1700000000000\r\n"
      "hsm2fa_http_request_duration_seconds_bucket{le=\"+Inf\"} 9\n"
      "hsm2fa_http_request_duration_seconds_sum 0.0025\n"
      "\n"
      "broken{unclosed=\"x 5\n"
      "no_value\n"
      "not_a_number abc\n");
  EXPECT_EQ(m.size(), 5u);
  EXPECT_EQ(m.at("hsm2fa_hsm_calls_total"), 1234);
  EXPECT_EQ(m.at("hsm2fa_verify_total{result=\"valid\"}"), 17);
  EXPECT_EQ(m.at("odd{label=\"with } brace and \\\" quote\"}"), 3);
  EXPECT_EQ(m.at("hsm2fa_http_request_duration_seconds_bucket{le=\"+Inf\"}"), 9);
  EXPECT_DOUBLE_EQ(m.at("hsm2fa_http_request_duration_seconds_sum"), 0.0025);
  EXPECT_FALSE(m.contains("not_a_number"));
}

TEST(CounterDeltas, GrowthAndRatesOverALevel) {
  const MetricSample before{
      {"hsm2fa_key_cache_hits_total", 100},     {"hsm2fa_key_cache_misses_total", 50},
      {"hsm2fa_store_group_commits_total", 10}, {"hsm2fa_store_group_commit_writes_total", 20},
      {"hsm2fa_audit_syncs_total", 5},          {"hsm2fa_audit_synced_lines_total", 5}};
  const MetricSample after{
      {"hsm2fa_key_cache_hits_total", 400},      {"hsm2fa_key_cache_misses_total", 150},
      {"hsm2fa_store_group_commits_total", 110}, {"hsm2fa_store_group_commit_writes_total", 820},
      {"hsm2fa_audit_syncs_total", 5},           {"hsm2fa_audit_synced_lines_total", 5}};
  const auto d = counter_deltas(before, after);
  EXPECT_EQ(d.at("key_cache_hits").as_int64(), 300);
  EXPECT_EQ(d.at("key_cache_misses").as_int64(), 100);
  EXPECT_DOUBLE_EQ(d.at("key_cache_hit_rate").as_double(), 0.75);
  EXPECT_EQ(d.at("store_commits").as_int64(), 100);
  EXPECT_EQ(d.at("store_writes").as_int64(), 800);
  EXPECT_DOUBLE_EQ(d.at("store_writes_per_fsync").as_double(), 8.0);
  EXPECT_EQ(d.at("audit_syncs").as_int64(), 0);
  EXPECT_FALSE(d.contains("audit_lines_per_sync"));  // no sync in the level: no rate
}

TEST(CounterDeltas, AMetricMissingFromEitherScrapeIsLeftOut) {
  const MetricSample before{{"hsm2fa_hsm_calls_total", 1}, {"hsm2fa_store_group_commits_total", 3}};
  const MetricSample after{{"hsm2fa_hsm_calls_total", 8},
                           {"hsm2fa_store_group_commits_total", 4},
                           {"hsm2fa_store_group_commit_writes_total", 40},
                           {"hsm2fa_key_cache_hits_total", 9}};
  const auto d = counter_deltas(before, after);
  EXPECT_EQ(d.at("hsm_calls").as_int64(), 7);
  EXPECT_EQ(d.at("store_commits").as_int64(), 1);
  EXPECT_FALSE(d.contains("store_writes"));
  EXPECT_FALSE(d.contains("store_writes_per_fsync"));
  EXPECT_FALSE(d.contains("key_cache_hits"));
  EXPECT_FALSE(d.contains("key_cache_hit_rate"));
  EXPECT_FALSE(d.contains("audit_syncs"));
}

TEST(CounterDeltas, ModuleRecyclesCountOnlyTheDoneOnes) {
  const auto before = parse_metrics_text(
      "hsm2fa_hsm_module_recycles_total{result=\"done\"} 3\n"
      "hsm2fa_hsm_module_recycles_total{result=\"deferred\"} 1\n");
  const auto after = parse_metrics_text(
      "hsm2fa_hsm_module_recycles_total{result=\"done\"} 5\n"
      "hsm2fa_hsm_module_recycles_total{result=\"deferred\"} 9\n");
  EXPECT_EQ(counter_deltas(before, after).at("module_recycles").as_int64(), 2);
}

}  // namespace
}  // namespace hsm2fa::bench
