// The bulk path behind `hsm2fa bench --populate N` (the scale run): N users with an active TOTP
// credential, each seed generated and wrapped in the token through the hsm/ layer (token custody:
// a token object each), stored with Store::import_totp_batch in transactions of
// Store::kImportBatchRows. Their seeds are never known outside the token, so these users only
// make the database and the token as big as production's; the bench's verify load still runs on
// users it enrolls itself.
#pragma once

#include <cstddef>
#include <string>

#include "hsm2fa/hsm/token.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::bench {

struct PopulatePlan {
  hsm::TokenConfig token;
  std::string store_url;
  std::string tenant = "default";
  std::string user_prefix = "scale-";
  std::size_t users = 0;
};

struct PopulateResult {
  std::size_t users = 0;
  double seconds = 0;           // wall time of the whole phase
  double generate_seconds = 0;  // time spent generating + wrapping in the token
  double insert_seconds = 0;    // time spent in import_totp_batch (overlaps generation)
};

// Opens its own login on the token and its own store; run it with no daemon on the token.
Result<PopulateResult> populate_users(const PopulatePlan& plan);

}  // namespace hsm2fa::bench
