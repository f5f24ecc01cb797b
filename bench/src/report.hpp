// The bench's one JSON object, the machine it ran on, and the plot of the rising-concurrency run.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "hsm2fa/result.hpp"
#include "verify_load.hpp"

namespace hsm2fa::bench {

// cores, CPU model (from /proc/cpuinfo), 1/5/15-minute load averages at the time of the call.
boost::json::object machine_info();
boost::json::array load_average();

boost::json::object to_json(const LoadResult& r);

// Writes <dir>/<stem>.json (pretty enough to diff: one line) and <dir>/<stem>.png drawn by
// gnuplot (throughput and p99 against connections; the .dat and .gp inputs are kept beside it).
// A missing gnuplot is not an error: the result says whether the plot was drawn.
struct Written {
  std::filesystem::path json, png;
  bool plotted = false;
};
Result<Written> write_results(const std::filesystem::path& dir, const std::string& stem,
                              const boost::json::object& report,
                              const std::vector<LoadResult>& levels);

}  // namespace hsm2fa::bench
