// The token's ceiling: the token work one verification needs, done straight through the hsm/
// layer (no HTTP, no store, no audit) on the thread count the daemon gives token work. That is
// vault.oracle(ref) + mac_counters over a window of 3 steps + dropping the oracle: in wrapped
// mode unwrap + 3 HMACs + destroy; in token mode 3 HMACs with the vault's cached handle.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "hsm2fa/hsm/token.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::bench {

struct CeilingPlan {
  hsm::TokenConfig token;
  unsigned threads = 1;
  double seconds = 2.0;  // of verification work, split into `rounds` equal rounds
  unsigned rounds = 3;
  std::size_t seeds = 256;  // distinct seeds rotated through, as distinct users would be
  // Also the generate rate (1 s at most). In token custody its seeds are destroyed again one by
  // one, which takes minutes once the load has left 20,000 objects in the token.
  bool measure_generate = true;
};

struct CeilingResult {
  unsigned threads = 0;
  double verify_per_s = 0;            // the median round: verifications' token work per second
  std::vector<double> verify_rounds;  // every round, in the order run
  double generate_per_s = 0;          // seeds generated (wrapped: + wrapped) per second, 1 thread
  std::size_t seeds = 0;
};

// Opens its own login on the token, measures, closes it again before returning, so it must not
// run while the load is on. In token mode the seeds it creates are destroyed again.
Result<CeilingResult> measure_ceiling(const CeilingPlan& plan);

}  // namespace hsm2fa::bench
