#include "hsm2fa/otp/base32.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace hsm2fa::otp {
namespace {

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

std::vector<std::uint8_t> decoded(std::string_view text) {
  auto r = base32_decode(text);
  EXPECT_TRUE(r.ok()) << text;
  if (!r) return {};
  return {r->span().begin(), r->span().end()};
}

TEST(Base32, KeyUriFormatVector) {
  const std::vector<std::uint8_t> hello = {'H', 'e', 'l', 'l', 'o', '!', 0xDE, 0xAD, 0xBE, 0xEF};
  EXPECT_EQ(base32_encode(hello), "JBSWY3DPEHPK3PXP");
  EXPECT_EQ(base32_encode_secret(hello).view(), "JBSWY3DPEHPK3PXP");
  EXPECT_EQ(decoded("JBSWY3DPEHPK3PXP"), hello);
}

// RFC 4648 section 10, with the padding removed.
TEST(Base32, Rfc4648VectorsWithoutPadding) {
  const std::pair<std::string_view, std::string_view> vectors[] = {{"", ""},
                                                                   {"f", "MY"},
                                                                   {"fo", "MZXQ"},
                                                                   {"foo", "MZXW6"},
                                                                   {"foob", "MZXW6YQ"},
                                                                   {"fooba", "MZXW6YTB"},
                                                                   {"foobar", "MZXW6YTBOI"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base32_encode(bytes_of(plain)), encoded);
    EXPECT_EQ(decoded(encoded), bytes_of(plain));
  }
}

TEST(Base32, RoundTripsEveryLengthUpToAFewBlocks) {
  std::mt19937 rng(12345);
  for (std::size_t n = 0; n <= 70; ++n) {
    std::vector<std::uint8_t> data(n);
    for (auto& b : data) b = static_cast<std::uint8_t>(rng());
    const std::string text = base32_encode(data);
    EXPECT_EQ(text.size(), (n * 8 + 4) / 5);
    EXPECT_EQ(decoded(text), data) << "length " << n;
  }
}

TEST(Base32, RejectsLowerCase) {
  auto r = base32_decode("jbswy3dpehpk3pxp");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
}

TEST(Base32, RejectsPaddingSeparatorsAndForeignCharacters) {
  // Each has a length an encoder can produce: only the characters are wrong.
  const std::string_view rejected[] = {
      "MY======", "MZXW6===", "MY==",     "JBSW Y3D",       "JBSW-Y3D",
      "JBSWY3D0", "JBSWY3D1", "JBSWY3D8", "JBSWY3\xC3\x84", std::string_view("MZ\0Q", 4)};
  for (std::string_view bad : rejected) {
    auto r = base32_decode(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
  }
}

TEST(Base32, RejectsImpossibleLengths) {
  for (std::string_view bad : {"A", "ABC", "ABCDEF", "JBSWY3DPA", "JBSWY3DPABC"}) {
    auto r = base32_decode(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid_argument);
  }
}

TEST(Base32, RejectsNonZeroTrailingBits) {
  // "MY" is 'f': its last character carries 2 unused bits; "MZ" sets one of them.
  EXPECT_TRUE(base32_decode("MY").ok());
  EXPECT_FALSE(base32_decode("MZ").ok());
  EXPECT_FALSE(base32_decode("MZXR").ok());        // "fo" + a stray low bit
  EXPECT_FALSE(base32_decode("MZXW6YTBOJ").ok());  // "foobar" + a stray low bit
}

TEST(Base32, ErrorsNeverQuoteTheInput) {
  auto r = base32_decode("SECRETSEEDX1");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("SECRET"), std::string::npos);
}

}  // namespace
}  // namespace hsm2fa::otp
