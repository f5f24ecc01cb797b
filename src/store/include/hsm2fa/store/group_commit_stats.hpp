// How well the SQLite store's group commit batches concurrent writes: the mean number of writes
// per fsync is writes / commits. For logs and the bench; not part of the Store contract.
#pragma once

#include <cstdint>
#include <optional>

#include "hsm2fa/store.hpp"

namespace hsm2fa::store {

struct GroupCommitStats {
  std::uint64_t commits = 0;        // batches committed (one fsync each)
  std::uint64_t writes = 0;         // writes in those batches, failed ones included
  std::uint64_t largest_batch = 0;  // writes in the largest committed batch
  std::uint64_t failed_batches = 0;
};

// The counters since `store` was opened; nullopt for a store that does not batch (PostgreSQL).
std::optional<GroupCommitStats> group_commit_stats(const Store& store);

}  // namespace hsm2fa::store
