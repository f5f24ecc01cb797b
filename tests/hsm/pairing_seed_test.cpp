// The enrollment's one-operation vault calls: generate_for_pairing (seed and its bytes) and
// lock_if (check the code and lock in one token operation), in both custody modes.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

#include "support/softhsm_token.hpp"

namespace hsm2fa::hsm {
namespace {

using testing::ThrowAwayToken;

class PairingSeeds : public ::testing::TestWithParam<Custody> {
 protected:
  void SetUp() override {
    HSM2FA_REQUIRE_SOFTHSM();
    opened_ = testing::open_provisioned(ThrowAwayToken::get().config(GetParam()));
    ASSERT_TRUE(opened_.vault);
  }
  SeedVault& vault() { return *opened_.vault; }

  testing::OpenVault opened_;
};

constexpr std::uint64_t kCounters[] = {0, 1, 56666666, 0xffffffffffffffffULL};

bool same(const Mac& a, const Mac& b) {
  return a.size == b.size && std::equal(a.bytes.begin(), a.bytes.begin() + a.size, b.bytes.begin());
}

// How many of kCounters the oracle computes exactly as software does with `seed`.
Result<int> matching_macs(HmacOracle& oracle, HashAlg alg, std::span<const std::uint8_t> seed) {
  auto macs = oracle.mac_counters(kCounters);
  if (!macs) return std::move(macs).error();
  int equal = 0;
  for (std::size_t i = 0; i < macs->size(); ++i) {
    if (same((*macs)[i], testing::software_hmac(alg, seed, kCounters[i]))) ++equal;
  }
  return equal;
}

TEST_P(PairingSeeds, GeneratedBytesAreTheSeedTheVaultComputesWith) {
  for (HashAlg alg : {HashAlg::sha1, HashAlg::sha256, HashAlg::sha512}) {
    auto made = vault().generate_for_pairing(alg);
    ASSERT_TRUE(made.ok()) << made.error().message;
    EXPECT_EQ(made->value.size(), digest_size(alg));
    auto info = vault().inspect(made->ref);
    ASSERT_TRUE(info.ok()) << info.error().message;
    EXPECT_TRUE(info->exportable);
    EXPECT_EQ(info->alg, alg);
    auto exported = vault().export_seed(made->ref);
    ASSERT_TRUE(exported.ok()) << exported.error().message;
    EXPECT_TRUE(std::ranges::equal(exported->span(), made->value.span()));
    auto oracle = vault().oracle(made->ref);
    ASSERT_TRUE(oracle.ok()) << oracle.error().message;
    auto equal = matching_macs(**oracle, alg, made->value.span());
    ASSERT_TRUE(equal.ok()) << equal.error().message;
    EXPECT_EQ(*equal, 4);
  }
}

TEST_P(PairingSeeds, RefusedCheckLeavesTheSeedPending) {
  auto made = vault().generate_for_pairing(HashAlg::sha1);
  ASSERT_TRUE(made.ok()) << made.error().message;
  auto seen = std::make_shared<std::atomic<int>>(-1);
  auto locked = vault().lock_if(made->ref, HashAlg::sha1,
                                [seen, seed = made->value.span()](HmacOracle& o) -> Result<bool> {
                                  auto equal = matching_macs(o, HashAlg::sha1, seed);
                                  if (!equal) return std::move(equal).error();
                                  *seen = *equal;
                                  return false;
                                });
  ASSERT_TRUE(locked.ok()) << locked.error().message;
  EXPECT_FALSE(locked->has_value());
  EXPECT_EQ(seen->load(), 4);  // the check computed with the pending seed itself
  EXPECT_TRUE(vault().inspect(made->ref)->exportable);
  EXPECT_TRUE(vault().export_seed(made->ref).ok());
}

TEST_P(PairingSeeds, AcceptedCheckLocksTheSameSeed) {
  auto made = vault().generate_for_pairing(HashAlg::sha256);
  ASSERT_TRUE(made.ok()) << made.error().message;
  auto locked =
      vault().lock_if(made->ref, HashAlg::sha256, [](HmacOracle&) -> Result<bool> { return true; });
  ASSERT_TRUE(locked.ok()) << locked.error().message;
  ASSERT_TRUE(locked->has_value());
  const SeedRef& ref = **locked;
  EXPECT_FALSE(vault().inspect(ref)->exportable);
  auto exported = vault().export_seed(ref);
  ASSERT_FALSE(exported.ok());
  EXPECT_EQ(exported.error().code, Errc::export_locked);
  auto oracle = vault().oracle(ref);
  ASSERT_TRUE(oracle.ok()) << oracle.error().message;
  auto equal = matching_macs(**oracle, HashAlg::sha256, made->value.span());
  ASSERT_TRUE(equal.ok()) << equal.error().message;
  EXPECT_EQ(*equal, 4);
  // Locking a locked seed again changes nothing and still answers a usable ref.
  auto again =
      vault().lock_if(ref, HashAlg::sha256, [](HmacOracle&) -> Result<bool> { return true; });
  ASSERT_TRUE(again.ok()) << again.error().message;
  ASSERT_TRUE(again->has_value());
  EXPECT_FALSE(vault().inspect(**again)->exportable);
}

TEST_P(PairingSeeds, CheckErrorAndWrongAlgorithmLockNothing) {
  auto made = vault().generate_for_pairing(HashAlg::sha1);
  ASSERT_TRUE(made.ok()) << made.error().message;
  auto failed = vault().lock_if(made->ref, HashAlg::sha1, [](HmacOracle&) -> Result<bool> {
    return make_error(Errc::internal, "check broke");
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, Errc::internal);
  auto called = std::make_shared<std::atomic<bool>>(false);
  auto wrong = vault().lock_if(made->ref, HashAlg::sha256, [called](HmacOracle&) -> Result<bool> {
    *called = true;
    return true;
  });
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, Errc::tampered);
  EXPECT_FALSE(called->load());
  EXPECT_TRUE(vault().inspect(made->ref)->exportable);
}

INSTANTIATE_TEST_SUITE_P(BothCustodyModes, PairingSeeds,
                         ::testing::Values(Custody::token, Custody::wrapped),
                         [](const auto& param_info) {
                           return param_info.param == Custody::token ? "token" : "wrapped";
                         });

}  // namespace
}  // namespace hsm2fa::hsm
