// Drives POST .../verify over the daemon's socket: one keep-alive connection per client thread,
// valid codes for distinct users (UserPool), plus a share of wrong codes. A wrong code always
// goes to the user whose valid code was just accepted on the same connection, so no user ever
// has two failures in a row and none comes near the throttle.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "latency.hpp"
#include "user_pool.hpp"

namespace hsm2fa::bench {

struct LoadPlan {
  std::filesystem::path socket;
  std::string tenant = "default";
  unsigned connections = 1;
  double seconds = 2.0;
  double offered_per_s = 0;   // 0: closed loop (each connection sends as soon as it has an answer)
  unsigned wrong_every = 20;  // one wrong code after every Nth accepted one (0: none)
};

struct LoadResult {
  unsigned connections = 0;
  double offered_per_s = 0;
  double seconds = 0;
  std::uint64_t requests = 0;       // answered verifications, valid and wrong
  std::uint64_t accepted = 0;       // valid codes answered {"valid":true}
  std::uint64_t wrong_refused = 0;  // wrong codes answered {"valid":false}
  std::uint64_t unexpected = 0;     // any other answer (status or verdict)
  std::uint64_t transport_errors = 0;
  bool users_ran_out = false;  // the run ended early: no user had a code left in the window
  LatencySummary latency;      // from the scheduled send time in rate-limited runs
  double per_s() const { return seconds > 0 ? static_cast<double>(requests) / seconds : 0; }
};

LoadResult run_verify_load(const LoadPlan& plan, UserPool& users);

}  // namespace hsm2fa::bench
