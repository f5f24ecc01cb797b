// Short seeds, tampered blobs and concurrent use of one vault.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "support/softhsm_token.hpp"

namespace hsm2fa::hsm {
namespace {

using testing::ThrowAwayToken;

class Seeds : public ::testing::TestWithParam<Custody> {};

bool same(const Mac& a, const Mac& b) {
  return a.size == b.size && std::equal(a.bytes.begin(), a.bytes.begin() + a.size, b.bytes.begin());
}

TEST_P(Seeds, TenByteSeedIsPaddedAndMacsLikeSoftware) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = testing::open_provisioned(ThrowAwayToken::get().config(GetParam()));
  ASSERT_TRUE(opened.vault);
  std::mt19937_64 random(4226);
  std::vector<std::uint8_t> seed(10);
  for (auto& b : seed) b = static_cast<std::uint8_t>(random());
  auto ref = opened.vault->import(HashAlg::sha1, seed, false);
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  std::vector<std::uint64_t> counters(1000);
  for (auto& c : counters) c = random();
  auto oracle = opened.vault->oracle(*ref);
  ASSERT_TRUE(oracle.ok()) << oracle.error().message;
  auto macs = (*oracle)->mac_counters(counters);
  ASSERT_TRUE(macs.ok()) << macs.error().message;
  ASSERT_EQ(macs->size(), counters.size());
  int mismatches = 0;
  for (std::size_t i = 0; i < counters.size(); ++i) {
    if (!same((*macs)[i], testing::software_hmac(HashAlg::sha1, seed, counters[i]))) ++mismatches;
  }
  EXPECT_EQ(mismatches, 0);
}

TEST_P(Seeds, RejectsEmptyAndOverlongSeeds) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = testing::open_provisioned(ThrowAwayToken::get().config(GetParam()));
  ASSERT_TRUE(opened.vault);
  std::vector<std::uint8_t> overlong(65, 1);
  auto empty = opened.vault->import(HashAlg::sha1, {}, false);
  auto too_long = opened.vault->import(HashAlg::sha512, overlong, false);
  ASSERT_FALSE(empty.ok());
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(empty.error().code, Errc::invalid_argument);
  EXPECT_EQ(too_long.error().code, Errc::invalid_argument);
}

TEST_P(Seeds, EightThreadsShareOneVault) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = testing::open_provisioned(ThrowAwayToken::get().config(GetParam()));
  ASSERT_TRUE(opened.vault);
  constexpr int kThreads = 8, kPerThread = 10000, kBatch = 100;
  std::vector<std::vector<std::uint8_t>> seeds;
  std::vector<SeedRef> refs;
  std::mt19937_64 random(6238);
  for (int t = 0; t < kThreads; ++t) {
    std::vector<std::uint8_t> seed(20);
    for (auto& b : seed) b = static_cast<std::uint8_t>(random());
    auto ref = opened.vault->import(HashAlg::sha1, seed, false);
    ASSERT_TRUE(ref.ok()) << ref.error().message;
    seeds.push_back(seed);
    refs.push_back(*ref);
  }
  std::atomic<int> errors{0}, wrong{0}, done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread alternates between its own seed and its neighbour's.
      for (int batch = 0; batch < kPerThread / kBatch; ++batch) {
        const int which = (t + batch) % kThreads;
        std::vector<std::uint64_t> counters(kBatch);
        for (int i = 0; i < kBatch; ++i) counters[i] = 1000000ull * t + batch * kBatch + i;
        auto oracle = opened.vault->oracle(refs[which]);
        if (!oracle) {
          ++errors;
          continue;
        }
        auto macs = (*oracle)->mac_counters(counters);
        if (!macs) {
          ++errors;
          continue;
        }
        for (int i = 0; i < kBatch; ++i) {
          if (!same((*macs)[i], testing::software_hmac(HashAlg::sha1, seeds[which], counters[i]))) {
            ++wrong;
          }
          ++done;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(done.load(), kThreads * kPerThread);
  auto stats = opened.token->stats();
  EXPECT_TRUE(stats.errors_by_rv.empty());
  EXPECT_LE(stats.sessions_open, 4u);
  EXPECT_EQ(stats.sessions_in_use, 0u);
}

INSTANTIATE_TEST_SUITE_P(BothCustodyModes, Seeds,
                         ::testing::Values(Custody::token, Custody::wrapped),
                         [](const auto& param_info) {
                           return param_info.param == Custody::token ? "token" : "wrapped";
                         });

TEST(WrappedSeedRef, AnyAlteredByteIsTampered) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = testing::open_provisioned(ThrowAwayToken::get().config(Custody::wrapped));
  ASSERT_TRUE(opened.vault);
  auto ref = opened.vault->import(HashAlg::sha1, testing::bytes_of("12345678901234567890"), true);
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  const std::string& good = ref->encoded;
  ASSERT_TRUE(opened.vault->oracle(*ref).ok());
  // Flip the state (header), a wrapped byte, and a MAC byte.
  std::vector<std::string> altered;
  std::string state = good;
  state[good.find(":p:") + 1] = 'a';
  altered.push_back(state);
  const auto wrapped_at = good.rfind(':', good.rfind(':') - 1) + 1;
  for (std::size_t at : {wrapped_at, wrapped_at + 7, good.size() - 1}) {
    std::string flipped = good;
    flipped[at] = flipped[at] == '0' ? '1' : '0';
    altered.push_back(flipped);
  }
  std::string alg = good;
  alg.replace(alg.find("SHA1"), 4, "SHA2");
  altered.push_back(alg);
  for (const auto& text : altered) {
    SeedRef bad{text};
    auto oracle = opened.vault->oracle(bad);
    ASSERT_FALSE(oracle.ok()) << text;
    EXPECT_EQ(oracle.error().code, Errc::tampered) << text << ": " << oracle.error().message;
    auto exported = opened.vault->export_seed(bad);
    ASSERT_FALSE(exported.ok());
    EXPECT_EQ(exported.error().code, Errc::tampered);
  }
}

}  // namespace
}  // namespace hsm2fa::hsm
