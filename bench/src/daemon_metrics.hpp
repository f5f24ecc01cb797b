// The daemon's own figures, from its GET /metrics (Prometheus text) over the same socket: the
// bench scrapes before and after each level and reports the counters' growth, so that a reader
// sees the key cache's hit rate and the writes per fsync of group commit at every level.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "hsm2fa/result.hpp"

namespace hsm2fa::bench {

// Series name (with its labels as written, e.g. `x_total{result="valid"}`) -> value. Comment
// and blank lines are skipped, and so is any line that does not parse (a scrape is a figure for
// people, not a contract). Exposed for tests.
using MetricSample = std::map<std::string, double, std::less<>>;
MetricSample parse_metrics_text(std::string_view text);

// GET /metrics on the daemon's socket. Errc::internal if it does not answer 200.
Result<MetricSample> scrape_metrics(const std::filesystem::path& socket);

// What the counters did between two scrapes: key_cache_{hits,misses,hit_rate},
// store_{commits,writes,writes_per_fsync}, audit_{syncs,lines,lines_per_sync}, hsm_calls. A
// counter missing from either scrape is left out (never reported as 0), and so is a rate
// whose denominator did not grow.
boost::json::object counter_deltas(const MetricSample& before, const MetricSample& after);

}  // namespace hsm2fa::bench
