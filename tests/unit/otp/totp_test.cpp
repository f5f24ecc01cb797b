// RFC 6238 Appendix B, all 18 rows, through the software oracle.
#include <gtest/gtest.h>

#include "hsm2fa/otp/hotp.hpp"
#include "hsm2fa/otp/totp_window.hpp"
#include "test_oracles.hpp"

namespace hsm2fa::otp {
namespace {

struct TotpRow {
  std::int64_t time;
  std::uint64_t step;
  const char* code;
  HashAlg alg;
};

constexpr TotpRow kRfc6238[] = {
    {59, 0x1, "94287082", HashAlg::sha1},
    {59, 0x1, "46119246", HashAlg::sha256},
    {59, 0x1, "90693936", HashAlg::sha512},
    {1111111109, 0x23523EC, "07081804", HashAlg::sha1},
    {1111111109, 0x23523EC, "68084774", HashAlg::sha256},
    {1111111109, 0x23523EC, "25091201", HashAlg::sha512},
    {1111111111, 0x23523ED, "14050471", HashAlg::sha1},
    {1111111111, 0x23523ED, "67062674", HashAlg::sha256},
    {1111111111, 0x23523ED, "99943326", HashAlg::sha512},
    {1234567890, 0x273EF07, "89005924", HashAlg::sha1},
    {1234567890, 0x273EF07, "91819424", HashAlg::sha256},
    {1234567890, 0x273EF07, "93441116", HashAlg::sha512},
    {2000000000, 0x3F940AA, "69279037", HashAlg::sha1},
    {2000000000, 0x3F940AA, "90698825", HashAlg::sha256},
    {2000000000, 0x3F940AA, "38618901", HashAlg::sha512},
    {20000000000, 0x27BC86AA, "65353130", HashAlg::sha1},
    {20000000000, 0x27BC86AA, "77737706", HashAlg::sha256},
    {20000000000, 0x27BC86AA, "47863826", HashAlg::sha512},
};

void PrintTo(const TotpRow& row, std::ostream* os) { *os << row.time << " " << to_string(row.alg); }

class Rfc6238 : public ::testing::TestWithParam<TotpRow> {};

TEST_P(Rfc6238, StepAndEightDigitCode) {
  const TotpRow& row = GetParam();
  EXPECT_EQ(totp_step(row.time, 30), row.step);
  auto oracle = testing::rfc_oracle(row.alg);
  auto code = hotp(*oracle, totp_step(row.time, 30), 8);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, row.code);
}

TEST_P(Rfc6238, SixDigitCodeIsTheLastSixAndVerifies) {
  const TotpRow& row = GetParam();
  auto oracle = testing::rfc_oracle(row.alg);
  const std::string six = std::string(row.code).substr(2);
  auto code = hotp(*oracle, row.step, 6);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, six);
  auto steps = matching_steps(*oracle, six, row.step, 1, 6);
  ASSERT_TRUE(steps.ok());
  EXPECT_EQ(*steps, std::vector<std::uint64_t>{row.step});
}

INSTANTIATE_TEST_SUITE_P(AppendixB, Rfc6238, ::testing::ValuesIn(kRfc6238),
                         [](const ::testing::TestParamInfo<TotpRow>& row_info) {
                           return "T" + std::to_string(row_info.param.time) + "_" +
                                  std::string(to_string(row_info.param.alg));
                         });

TEST(TotpStep, SixtyFourBitAndClamped) {
  EXPECT_EQ(totp_step(0, 30), 0u);
  EXPECT_EQ(totp_step(29, 30), 0u);
  EXPECT_EQ(totp_step(30, 30), 1u);
  EXPECT_EQ(totp_step(-1, 30), 0u);  // before the epoch
  EXPECT_EQ(totp_step(20000000000, 30), 0x27BC86AAu);
  EXPECT_EQ(totp_step(INT64_MAX, 1), static_cast<std::uint64_t>(INT64_MAX));
  EXPECT_EQ(totp_step(4294967296LL * 60, 60), 4294967296u);  // past 32-bit counters
  EXPECT_EQ(totp_step(100, 0), 0u);
  EXPECT_EQ(totp_step(100, -30), 0u);
}

}  // namespace
}  // namespace hsm2fa::otp
