// The token's ceiling: the token work one verification needs, done straight through the hsm/
// layer (no HTTP, no store, no audit) on the thread count the daemon gives token work. That is
// vault.oracle(ref) + mac_counters over a window of 3 steps + dropping the oracle: in wrapped
// mode unwrap + 3 HMACs + destroy; in token mode 3 HMACs with the vault's cached handle.
#pragma once

#include <cstddef>
#include <string>

#include "hsm2fa/hsm/token.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::bench {

struct CeilingPlan {
  hsm::TokenConfig token;
  unsigned threads = 1;
  double seconds = 2.0;
  std::size_t seeds = 256;  // distinct seeds rotated through, as distinct users would be
};

struct CeilingResult {
  unsigned threads = 0;
  double verify_per_s = 0;    // verifications' token work per second
  double generate_per_s = 0;  // seeds generated (wrapped: + wrapped) per second, 1 thread
  std::size_t seeds = 0;
};

// Opens its own login on the token, measures, closes it again before returning, so it must not
// run while the load is on. In token mode the seeds it creates are destroyed again.
Result<CeilingResult> measure_ceiling(const CeilingPlan& plan);

}  // namespace hsm2fa::bench
