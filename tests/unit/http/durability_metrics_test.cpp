// /metrics shows the group-commit counters of the store and the audit log that the daemon
// reports, and leaves out a pair whose source does not batch.
#include <gtest/gtest.h>

#include "hsm2fa/http/metrics.hpp"

namespace hsm2fa::http {
namespace {

TEST(DurabilityMetrics, RenderedWhenReported) {
  Metrics metrics("1.0", {}, {}, [] {
    return DurabilityMetrics{std::uint64_t{12}, std::uint64_t{96}, std::uint64_t{10},
                             std::uint64_t{101}};
  });
  const std::string text = metrics.render();
  EXPECT_NE(text.find("hsm2fa_store_group_commits_total 12\n"), std::string::npos);
  EXPECT_NE(text.find("hsm2fa_store_group_commit_writes_total 96\n"), std::string::npos);
  EXPECT_NE(text.find("hsm2fa_audit_syncs_total 10\n"), std::string::npos);
  EXPECT_NE(text.find("hsm2fa_audit_synced_lines_total 101\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE hsm2fa_store_group_commits_total counter"), std::string::npos);
}

TEST(DurabilityMetrics, AStoreThatDoesNotBatchIsLeftOut) {
  Metrics metrics("1.0", {}, {}, [] {
    DurabilityMetrics d;
    d.audit_syncs = 3;
    d.audit_lines = 4;
    return d;
  });
  const std::string text = metrics.render();
  EXPECT_EQ(text.find("hsm2fa_store_group_commit"), std::string::npos);
  EXPECT_NE(text.find("hsm2fa_audit_syncs_total 3\n"), std::string::npos);
}

}  // namespace
}  // namespace hsm2fa::http
