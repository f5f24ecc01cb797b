// Latency samples of one load run and their order statistics; the median of repeated rates.
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

// The median of `values` (the mean of the middle two for an even count); 0 when empty.
double median(std::vector<double> values);

}  // namespace hsm2fa::bench
