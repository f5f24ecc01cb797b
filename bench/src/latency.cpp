#include "latency.hpp"

#include <algorithm>
#include <cmath>

namespace hsm2fa::bench {
namespace {

double to_ms(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

std::int64_t nearest_rank(std::vector<std::int64_t>& v, double percent) {
  const auto n = static_cast<double>(v.size());
  auto rank = static_cast<std::size_t>(std::ceil(percent / 100.0 * n));
  rank = std::clamp<std::size_t>(rank, 1, v.size());
  auto nth = v.begin() + static_cast<std::ptrdiff_t>(rank - 1);
  std::nth_element(v.begin(), nth, v.end());
  return *nth;
}

}  // namespace

LatencySummary summarize(std::vector<std::int64_t>& nanoseconds) {
  LatencySummary s;
  s.samples = nanoseconds.size();
  if (nanoseconds.empty()) return s;
  s.p50_ms = to_ms(nearest_rank(nanoseconds, 50));
  s.p90_ms = to_ms(nearest_rank(nanoseconds, 90));
  s.p99_ms = to_ms(nearest_rank(nanoseconds, 99));
  s.max_ms = to_ms(*std::max_element(nanoseconds.begin(), nanoseconds.end()));
  return s;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 != 0 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

}  // namespace hsm2fa::bench
