// RFC 4226 Appendix D and RFC 6238 Appendix B, every MAC computed inside SoftHSM2 through the
// vault, in both custody modes.
#include <gtest/gtest.h>

#include "support/softhsm_token.hpp"

namespace hsm2fa::hsm {
namespace {

using testing::bytes_of;
using testing::ThrowAwayToken;
using testing::truncate;

class RfcVectors : public ::testing::TestWithParam<Custody> {};

std::uint32_t code(SeedVault& vault, const SeedRef& ref, std::uint64_t counter, int digits) {
  auto oracle = vault.oracle(ref);
  EXPECT_TRUE(oracle.ok()) << oracle.error().message;
  if (!oracle) return 0;
  const std::uint64_t counters[] = {counter};
  auto macs = (*oracle)->mac_counters(counters);
  EXPECT_TRUE(macs.ok()) << macs.error().message;
  if (!macs) return 0;
  return truncate(macs->front(), digits);
}

TEST_P(RfcVectors, Rfc4226AppendixD) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = testing::open_provisioned(ThrowAwayToken::get().config(GetParam()));
  ASSERT_TRUE(opened.vault);
  auto ref = opened.vault->import(HashAlg::sha1, bytes_of("12345678901234567890"), false);
  ASSERT_TRUE(ref.ok()) << ref.error().message;
  const std::uint32_t expected[] = {755224, 287082, 359152, 969429, 338314,
                                    254676, 287922, 162583, 399871, 520489};
  // One oracle computes the whole window in one call.
  auto oracle = opened.vault->oracle(*ref);
  ASSERT_TRUE(oracle.ok()) << oracle.error().message;
  std::vector<std::uint64_t> counters{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  auto macs = (*oracle)->mac_counters(counters);
  ASSERT_TRUE(macs.ok()) << macs.error().message;
  ASSERT_EQ(macs->size(), 10u);
  for (std::size_t i = 0; i < counters.size(); ++i) {
    EXPECT_EQ(truncate((*macs)[i], 6), expected[i]) << "counter " << i;
  }
}

TEST_P(RfcVectors, Rfc6238AppendixB) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = testing::open_provisioned(ThrowAwayToken::get().config(GetParam()));
  ASSERT_TRUE(opened.vault);
  struct Seed {
    HashAlg alg;
    std::string_view bytes;
  };
  const Seed seeds[] = {
      {HashAlg::sha1, "12345678901234567890"},
      {HashAlg::sha256, "12345678901234567890123456789012"},
      {HashAlg::sha512, "1234567890123456789012345678901234567890123456789012345678901234"},
  };
  struct Row {
    std::int64_t time;
    std::uint32_t codes[3];  // SHA1, SHA256, SHA512
  };
  const Row rows[] = {
      {59, {94287082, 46119246, 90693936}},         {1111111109, {7081804, 68084774, 25091201}},
      {1111111111, {14050471, 67062674, 99943326}}, {1234567890, {89005924, 91819424, 93441116}},
      {2000000000, {69279037, 90698825, 38618901}}, {20000000000, {65353130, 77737706, 47863826}},
  };
  for (std::size_t s = 0; s < 3; ++s) {
    auto ref = opened.vault->import(seeds[s].alg, bytes_of(seeds[s].bytes), false);
    ASSERT_TRUE(ref.ok()) << ref.error().message;
    auto info = opened.vault->inspect(*ref);
    ASSERT_TRUE(info.ok()) << info.error().message;
    EXPECT_EQ(info->alg, seeds[s].alg);
    EXPECT_FALSE(info->exportable);
    for (const auto& row : rows) {
      EXPECT_EQ(code(*opened.vault, *ref, static_cast<std::uint64_t>(row.time / 30), 8),
                row.codes[s])
          << to_string(seeds[s].alg) << " T=" << row.time;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(BothCustodyModes, RfcVectors,
                         ::testing::Values(Custody::token, Custody::wrapped),
                         [](const auto& param_info) {
                           return param_info.param == Custody::token ? "token" : "wrapped";
                         });

}  // namespace
}  // namespace hsm2fa::hsm
