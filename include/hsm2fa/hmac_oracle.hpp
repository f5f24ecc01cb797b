// The one operation verification needs from a seed: HMAC over an 8-byte big-endian counter.
// Production oracles compute it inside the PKCS#11 token; a software oracle exists for tests.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "hsm2fa/result.hpp"

namespace hsm2fa {

enum class HashAlg { sha1, sha256, sha512 };

std::string_view to_string(HashAlg alg) noexcept;                    // "SHA1", "SHA256", "SHA512"
std::optional<HashAlg> parse_hash_alg(std::string_view s) noexcept;  // exact, upper case
std::size_t digest_size(HashAlg alg) noexcept;                       // 20, 32, 64

struct Mac {
  std::array<std::uint8_t, 64> bytes{};
  std::size_t size = 0;
  std::span<const std::uint8_t> span() const noexcept { return {bytes.data(), size}; }
};

// Bound to one seed and one algorithm. Not thread-safe: one oracle per verification at a time.
class HmacOracle {
 public:
  virtual ~HmacOracle() = default;
  virtual HashAlg algorithm() const noexcept = 0;
  // HMAC(seed, be64(counters[i])) for every i, in order. All or nothing.
  virtual Result<std::vector<Mac>> mac_counters(std::span<const std::uint64_t> counters) = 0;
};

}  // namespace hsm2fa
