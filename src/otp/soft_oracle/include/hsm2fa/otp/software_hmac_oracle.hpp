// HmacOracle computed in process with OpenSSL's EVP_MAC, for tests and benchmarks only: it holds
// the seed in memory, which the custody model forbids in the daemon (never link it there).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "hsm2fa/hmac_oracle.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::otp {

class SoftwareHmacOracle final : public HmacOracle {
 public:
  // invalid_argument for an empty key; internal if OpenSSL lacks HMAC or the digest.
  static Result<std::unique_ptr<SoftwareHmacOracle>> create(HashAlg alg,
                                                            std::span<const std::uint8_t> key);
  ~SoftwareHmacOracle() override;
  SoftwareHmacOracle(const SoftwareHmacOracle&) = delete;
  SoftwareHmacOracle& operator=(const SoftwareHmacOracle&) = delete;

  HashAlg algorithm() const noexcept override;
  Result<std::vector<Mac>> mac_counters(std::span<const std::uint64_t> counters) override;

 private:
  struct Impl;
  explicit SoftwareHmacOracle(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// An oracle whose every call fails with `error`: stands in for a token that is gone.
class FailingHmacOracle final : public HmacOracle {
 public:
  FailingHmacOracle(HashAlg alg, Error error) : alg_(alg), error_(std::move(error)) {}
  HashAlg algorithm() const noexcept override { return alg_; }
  Result<std::vector<Mac>> mac_counters(std::span<const std::uint64_t>) override { return error_; }

 private:
  HashAlg alg_;
  Error error_;
};

}  // namespace hsm2fa::otp
