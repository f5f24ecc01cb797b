// RFC 4226 Appendix D, through the software oracle.
#include "hsm2fa/otp/hotp.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "test_oracles.hpp"

namespace hsm2fa::otp {
namespace {

using testing::rfc_oracle;

std::string hex(std::span<const std::uint8_t> bytes) {
  std::string out;
  char buf[3];
  for (std::uint8_t b : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

struct HotpRow {
  std::uint64_t count;
  const char* hmac;
  std::uint32_t truncated;
  const char* code;
};

constexpr HotpRow kRfc4226[] = {
    {0, "cc93cf18508d94934c64b65d8ba7667fb7cde4b0", 0x4c93cf18, "755224"},
    {1, "75a48a19d4cbe100644e8ac1397eea747a2d33ab", 0x41397eea, "287082"},
    {2, "0bacb7fa082fef30782211938bc1c5e70416ff44", 0x082fef30, "359152"},
    {3, "66c28227d03a2d5529262ff016a1e6ef76557ece", 0x66ef7655, "969429"},
    {4, "a904c900a64b35909874b33e61c5938a8e15ed1c", 0x61c5938a, "338314"},
    {5, "a37e783d7b7233c083d4f62926c7a25f238d0316", 0x33c083d4, "254676"},
    {6, "bc9cd28561042c83f219324d3c607256c03272ae", 0x7256c032, "287922"},
    {7, "a4fb960c0bc06e1eabb804e5b397cdc4b45596fa", 0x04e5b397, "162583"},
    {8, "1b3c89f65e6c9e883012052823443f048b4332db", 0x2823443f, "399871"},
    {9, "1637409809a679dc698207310c8c7fc07290d9e5", 0x2679dc69, "520489"},
};

TEST(Hotp, Rfc4226AppendixDHmacsTruncationsAndCodes) {
  auto oracle = rfc_oracle(HashAlg::sha1);
  std::vector<std::uint64_t> counters;
  for (const auto& row : kRfc4226) counters.push_back(row.count);
  auto macs = oracle->mac_counters(counters);
  ASSERT_TRUE(macs.ok());
  ASSERT_EQ(macs->size(), std::size(kRfc4226));
  for (std::size_t i = 0; i < std::size(kRfc4226); ++i) {
    const auto& row = kRfc4226[i];
    EXPECT_EQ(hex((*macs)[i].span()), row.hmac) << "count " << row.count;
    EXPECT_EQ(dynamic_truncate((*macs)[i]), row.truncated) << "count " << row.count;
    auto code = hotp(*oracle, row.count, 6);
    ASSERT_TRUE(code.ok());
    EXPECT_EQ(*code, row.code) << "count " << row.count;
  }
}

TEST(Hotp, FormatCodeZeroPadsAndKeepsLowDigits) {
  EXPECT_EQ(format_code(0, 6), "000000");
  EXPECT_EQ(format_code(82162583, 6), "162583");
  EXPECT_EQ(format_code(82162583, 8), "82162583");
  EXPECT_EQ(format_code(137359152, 8), "37359152");
  EXPECT_EQ(format_code(42, 8), "00000042");
  EXPECT_EQ(format_code(2147483647, 7), "7483647");
  EXPECT_EQ(format_code(123, 5), "");  // unsupported length: nothing rather than a short code
}

TEST(Hotp, RejectsUnsupportedDigits) {
  auto oracle = rfc_oracle(HashAlg::sha1);
  for (int digits : {0, 5, 9, -6}) {
    auto r = hotp(*oracle, 0, digits);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
  }
}

TEST(Hotp, PassesTheOraclesErrorThrough) {
  FailingHmacOracle oracle(HashAlg::sha1, make_error(Errc::hsm_unavailable, "token removed"));
  auto r = hotp(oracle, 1, 6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::hsm_unavailable);
}

TEST(Hotp, RefusesToTruncateAShortMac) {
  testing::ShortMacOracle oracle;
  auto r = hotp(oracle, 1, 6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::internal);
  Mac empty;
  EXPECT_EQ(dynamic_truncate(empty), 0u);
}

TEST(SoftwareHmacOracle, RejectsAnEmptyKey) {
  auto r = SoftwareHmacOracle::create(HashAlg::sha1, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

TEST(SoftwareHmacOracle, ReportsItsAlgorithmAndDigestSizes) {
  for (HashAlg alg : {HashAlg::sha1, HashAlg::sha256, HashAlg::sha512}) {
    auto oracle = rfc_oracle(alg);
    EXPECT_EQ(oracle->algorithm(), alg);
    const std::uint64_t counters[] = {7};
    auto macs = oracle->mac_counters(counters);
    ASSERT_TRUE(macs.ok());
    EXPECT_EQ(macs->at(0).size, digest_size(alg));
  }
}

}  // namespace
}  // namespace hsm2fa::otp
