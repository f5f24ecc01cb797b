// The PostgreSQL Store: state shared by several hsm2fa instances. Each instance keeps a pool
// of connections; every call is one short transaction (or one autocommit statement) on one
// pooled connection, so instances and threads interleave only through PostgreSQL's row locks:
//   - the replay guard is a single conditional UPDATE (rowcount 1 = this call won the step),
//     committed together with the throttle reset;
//   - read-modify-write of a user's state (throttle, enrollment) first locks the user's row;
//   - a statement that returns seeds for destruction deletes with RETURNING, so each seed is
//     handed back by exactly one call.
// A lost connection is store_unavailable, never a success; it is dropped and the next call
// connects again. A serialization failure or deadlock, or a pooled connection found dead on
// its first command, is retried on a fresh connection (at most 3 attempts).
#pragma once

#include <memory>
#include <string_view>

#include "hsm2fa/result.hpp"
#include "hsm2fa/store.hpp"

namespace hsm2fa::store::postgres {

// Parses `url` (see parse_connection_url), connects once and migrates to the current schema.
Result<std::shared_ptr<Store>> open_postgres_store(std::string_view url);

}  // namespace hsm2fa::store::postgres
