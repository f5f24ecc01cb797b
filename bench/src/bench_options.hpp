// The command line of `hsm2fa bench`.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "hsm2fa/result.hpp"

namespace hsm2fa::bench {

struct BenchOptions {
  std::optional<std::string> config;
  std::optional<std::size_t> users;  // default 20,000
  double seconds = 2.0;              // per concurrency level, and for the half-rate run
  double ceiling_seconds = 3.0;      // each time it is measured
  // Enrollment stops here even if fewer users are enrolled (default 40).
  std::optional<double> enroll_seconds;
  double max_wait_seconds = 30;  // total waiting for a fresh time step, then run with what is left
  // Empty: 1,2,4,8,16,32.
  std::vector<unsigned> levels;
  unsigned wrong_every = 20;  // 5 % wrong codes
  unsigned enroll_connections = 8;
  std::filesystem::path results = "results";
  // The scale run (scripts/bench.sh --scale N): --populate N only adds N users in bulk and prints
  // what it took; a later run given --daemon-pid and --scale-json reports the daemon's memory,
  // the database size and the populate/start-up figures beside its own.
  std::optional<std::size_t> populate;
  std::optional<int> daemon_pid;
  std::optional<std::filesystem::path> scale_json;
  bool help = false;
};

extern const char* const kBenchUsage;

// argv[0] is the word "bench". Errc::invalid_argument with a message on a bad option.
Result<BenchOptions> parse_bench_options(int argc, char** argv);

}  // namespace hsm2fa::bench
