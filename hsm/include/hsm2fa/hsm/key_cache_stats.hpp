// What the wrapped vault's cache of unwrapped seed keys reports, for /v1/metrics.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hsm2fa/seed_vault.hpp"

namespace hsm2fa::hsm {

struct KeyCacheStats {
  std::uint64_t hits = 0, misses = 0, evictions = 0;
  std::size_t size = 0, capacity = 0;
};

// The cache of a wrapped vault made by make_seed_vault; all zero for any other vault (token mode
// keeps its handles elsewhere) or when the cache is disabled.
KeyCacheStats key_cache_stats(const SeedVault& vault);

}  // namespace hsm2fa::hsm
