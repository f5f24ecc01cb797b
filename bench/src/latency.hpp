// Latency samples of one load run and their order statistics.
#pragma once

#include <cstdint>
#include <vector>

namespace hsm2fa::bench {

struct LatencySummary {
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
  std::uint64_t samples = 0;
};

// Nearest-rank percentiles (the smallest sample with at least p% of samples at or below it);
// all zero for no samples. Reorders `nanoseconds`.
LatencySummary summarize(std::vector<std::int64_t>& nanoseconds);

}  // namespace hsm2fa::bench
