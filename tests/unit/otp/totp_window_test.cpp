#include "hsm2fa/otp/totp_window.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "hsm2fa/otp/hotp.hpp"
#include "test_oracles.hpp"

namespace hsm2fa::otp {
namespace {

using Steps = std::vector<std::uint64_t>;

TEST(CanonicalCode, AcceptsExactlyTheConfiguredAsciiDigits) {
  EXPECT_EQ(canonical_code("123456", 6), "123456");
  EXPECT_EQ(canonical_code("000000", 6), "000000");
  EXPECT_EQ(canonical_code("12345678", 8), "12345678");
}

TEST(CanonicalCode, RejectsEverythingElse) {
  const std::pair<std::string_view, int> rejected[] = {
      {"12345", 6},
      {"1234567", 6},
      {" 123456", 6},
      {"123456 ", 6},
      {"123456\n", 6},
      {"12345\xEF\xBC\x96", 6},                                 // fullwidth six
      {"\xD9\xA1\xD9\xA2\xD9\xA3\xD9\xA4\xD9\xA5\xD9\xA6", 6},  // Arabic-Indic 1-6
      {"\xD9\xA1\xD9\xA2\xD9\xA3", 6},  // three Arabic-Indic digits: six bytes
      {"12 3456", 6},
      {"", 6},
      {"+12345", 6},
      {"-12345", 6},
      {"12345a", 6},
      {std::string_view("12345\0", 6), 6},
      {"123456", 8},
      {"12345678", 6},
      {"123456", 5},
      {"123456789", 9},
  };
  for (const auto& [code, digits] : rejected) {
    EXPECT_FALSE(canonical_code(code, digits).has_value()) << "'" << code << "' / " << digits;
  }
}

class MatchingSteps : public ::testing::Test {
 protected:
  std::string code_at(std::uint64_t step) {
    auto code = hotp(*oracle_, step, 6);
    EXPECT_TRUE(code.ok());
    return code.ok() ? *code : std::string();
  }
  Result<Steps> match(std::string_view code, std::uint64_t current, int window = 1) {
    return matching_steps(recorder_, code, current, window, 6);
  }
  std::unique_ptr<SoftwareHmacOracle> oracle_ = testing::rfc_oracle(HashAlg::sha1);
  testing::RecordingOracle recorder_{testing::rfc_oracle(HashAlg::sha1)};
};

TEST_F(MatchingSteps, MatchesCurrentPreviousAndNextStepInOneOracleCall) {
  EXPECT_EQ(*match(code_at(100), 100), Steps{100});
  EXPECT_EQ(*match(code_at(99), 100), Steps{99});
  EXPECT_EQ(*match(code_at(101), 100), Steps{101});
  ASSERT_EQ(recorder_.calls.size(), 3u);
  for (const auto& call : recorder_.calls) EXPECT_EQ(call, (Steps{99, 100, 101}));
}

TEST_F(MatchingSteps, OutsideTheWindowDoesNotMatch) {
  EXPECT_TRUE(match(code_at(98), 100)->empty());
  EXPECT_TRUE(match(code_at(102), 100)->empty());
  EXPECT_TRUE(match(code_at(99), 100, 0)->empty());
  EXPECT_EQ(*match(code_at(98), 100, 2), Steps{98});
}

TEST_F(MatchingSteps, AWrongCodeMatchesNothing) {
  std::string wrong = "000000";
  while (wrong == code_at(99) || wrong == code_at(100) || wrong == code_at(101)) wrong[0]++;
  auto r = match(wrong, 100);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  ASSERT_EQ(recorder_.calls.size(), 1u);  // still computed the whole window
  EXPECT_EQ(recorder_.calls[0].size(), 3u);
}

TEST_F(MatchingSteps, WindowIsClampedAtStepZero) {
  EXPECT_EQ(*match("755224", 0), Steps{0});  // RFC 4226 count 0
  EXPECT_EQ(*match("287082", 0), Steps{1});  // count 1
  EXPECT_EQ(recorder_.calls[0], (Steps{0, 1}));
  ASSERT_TRUE(match("755224", 1, 3).ok());
  EXPECT_EQ(recorder_.calls[2], (Steps{0, 1, 2, 3, 4}));
}

TEST_F(MatchingSteps, WindowIsClampedAtTheLastStep) {
  constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
  ASSERT_TRUE(match("123456", kMax).ok());
  EXPECT_EQ(recorder_.calls[0], (Steps{kMax - 1, kMax}));
}

TEST_F(MatchingSteps, RefusesNonCanonicalCodesAndBadWindows) {
  for (std::string_view code : {"12345", " 12345", "1234567", "12345\xEF\xBC\x96"}) {
    auto r = match(code, 100);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
  }
  for (int window : {-1, kMaxWindow + 1}) {
    auto r = match("123456", 100, window);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
  }
  auto eight = matching_steps(recorder_, "123456", 100, 1, 8);
  ASSERT_FALSE(eight.ok());
  EXPECT_EQ(eight.error().code, Errc::invalid_argument);
  EXPECT_TRUE(recorder_.calls.empty());  // nothing reached the token
}

// A degenerate oracle whose MAC is the same for every counter: every step matches, and all of
// them are reported, ascending (the replay decision is the caller's).
class ConstantOracle final : public HmacOracle {
 public:
  HashAlg algorithm() const noexcept override { return HashAlg::sha1; }
  Result<std::vector<Mac>> mac_counters(std::span<const std::uint64_t> counters) override {
    Mac mac;
    mac.size = 20;  // all zero: offset 0, value 0, code 000000
    return std::vector<Mac>(counters.size(), mac);
  }
};

TEST(MatchingStepsAll, ReportsEveryMatchAscending) {
  ConstantOracle oracle;
  auto r = matching_steps(oracle, "000000", 10, 2, 6);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (Steps{8, 9, 10, 11, 12}));
}

TEST(MatchingStepsErrors, OracleFailureAndBrokenOracle) {
  FailingHmacOracle failing(HashAlg::sha1, make_error(Errc::hsm_unavailable, "gone"));
  auto r = matching_steps(failing, "123456", 10, 1, 6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::hsm_unavailable);

  testing::ShortMacOracle short_mac;
  auto s = matching_steps(short_mac, "000000", 10, 1, 6);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::internal);
}

}  // namespace
}  // namespace hsm2fa::otp
