// /metrics counts the objects the token made, and shows module recycling only when it is on.
#include <gtest/gtest.h>

#include "hsm2fa/http/metrics.hpp"

namespace hsm2fa::http {
namespace {

TEST(RecycleMetrics, RenderedByOutcomeWhenOn) {
  Metrics metrics("1.0", [] {
    TokenMetrics t;
    t.objects_created = 20417;
    t.objects_destroyed = 10002;
    t.recycle_after_objects = 10000;
    t.module_recycles = 2;
    t.recycle_deferrals = 3;
    t.recycle_failures = 1;
    t.last_recycle_seconds = 0.25;
    return t;
  });
  const std::string text = metrics.render();
  EXPECT_NE(text.find("hsm2fa_hsm_objects_created_total 20417\n"), std::string::npos);
  EXPECT_NE(text.find("hsm2fa_hsm_objects_destroyed_total 10002\n"), std::string::npos);
  EXPECT_NE(text.find("hsm2fa_hsm_module_recycles_total{result=\"done\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("hsm2fa_hsm_module_recycles_total{result=\"deferred\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("hsm2fa_hsm_module_recycles_total{result=\"failed\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("hsm2fa_hsm_module_recycle_seconds 0.25"), std::string::npos);
}

TEST(RecycleMetrics, AbsentWhenOff) {
  Metrics metrics("1.0", [] {
    TokenMetrics t;
    t.objects_created = 5;
    return t;
  });
  const std::string text = metrics.render();
  EXPECT_NE(text.find("hsm2fa_hsm_objects_created_total 5\n"), std::string::npos);
  EXPECT_EQ(text.find("hsm2fa_hsm_module_recycle"), std::string::npos);
}

}  // namespace
}  // namespace hsm2fa::http
