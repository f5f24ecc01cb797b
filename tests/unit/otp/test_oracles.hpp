// Oracles for the OTP tests: the RFC seeds, and a wrapper that records what was asked of it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string_view>
#include <vector>

#include "hsm2fa/otp/software_hmac_oracle.hpp"

namespace hsm2fa::otp::testing {

// RFC 6238 Appendix B seeds (errata 2866): the ASCII digits repeated to the digest length.
inline std::string_view rfc_seed(HashAlg alg) {
  static constexpr std::string_view kDigits =
      "1234567890123456789012345678901234567890123456789012345678901234";
  return kDigits.substr(0, digest_size(alg));
}

inline std::unique_ptr<SoftwareHmacOracle> rfc_oracle(HashAlg alg) {
  const std::string_view seed = rfc_seed(alg);
  auto oracle = SoftwareHmacOracle::create(
      alg, {reinterpret_cast<const std::uint8_t*>(seed.data()), seed.size()});
  EXPECT_TRUE(oracle.ok());
  return std::move(oracle).value();
}

// Forwards to an inner oracle and records every call's counters.
class RecordingOracle final : public HmacOracle {
 public:
  explicit RecordingOracle(std::unique_ptr<HmacOracle> inner) : inner_(std::move(inner)) {}
  HashAlg algorithm() const noexcept override { return inner_->algorithm(); }
  Result<std::vector<Mac>> mac_counters(std::span<const std::uint64_t> counters) override {
    calls.emplace_back(counters.begin(), counters.end());
    return inner_->mac_counters(counters);
  }
  std::vector<std::vector<std::uint64_t>> calls;

 private:
  std::unique_ptr<HmacOracle> inner_;
};

// Answers with MACs one byte shorter than the digest: an oracle breaking its contract.
class ShortMacOracle final : public HmacOracle {
 public:
  HashAlg algorithm() const noexcept override { return HashAlg::sha1; }
  Result<std::vector<Mac>> mac_counters(std::span<const std::uint64_t> counters) override {
    std::vector<Mac> macs(counters.size());
    for (Mac& m : macs) m.size = 19;
    return macs;
  }
};

}  // namespace hsm2fa::otp::testing
