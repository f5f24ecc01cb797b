#include "hsm2fa/otp/otpauth_uri.hpp"

#include <gtest/gtest.h>

namespace hsm2fa::otp {
namespace {

std::string uri(std::string_view issuer, std::string_view account, HashAlg alg = HashAlg::sha1,
                int digits = 6, int period = 30) {
  const SecretBytes secret = SecretBytes::from_string("JBSWY3DPEHPK3PXP");
  return std::string(otpauth_uri(issuer, account, secret, alg, digits, period).view());
}

TEST(OtpauthUri, KeyUriFormat) {
  EXPECT_EQ(uri("hsm2fa", "alice"),
            "otpauth://totp/hsm2fa:alice?secret=JBSWY3DPEHPK3PXP&issuer=hsm2fa"
            "&algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(uri("pro.dbflex.net", "bob@example.com", HashAlg::sha512, 8, 60),
            "otpauth://totp/pro.dbflex.net:bob%40example.com?secret=JBSWY3DPEHPK3PXP"
            "&issuer=pro.dbflex.net&algorithm=SHA512&digits=8&period=60");
  EXPECT_EQ(uri("X", "a", HashAlg::sha256),
            "otpauth://totp/X:a?secret=JBSWY3DPEHPK3PXP&issuer=X&algorithm=SHA256&digits=6"
            "&period=30");
}

TEST(OtpauthUri, HostileIssuerAndAccountCannotSplitLabelOrQuery) {
  EXPECT_EQ(uri("Evil:Corp", "ali:ce"),
            "otpauth://totp/Evil%3ACorp:ali%3Ace?secret=JBSWY3DPEHPK3PXP&issuer=Evil%3ACorp"
            "&algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(uri("My Bank", "a b"),
            "otpauth://totp/My%20Bank:a%20b?secret=JBSWY3DPEHPK3PXP&issuer=My%20Bank"
            "&algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(uri("x&secret=AAAA", "u?issuer=y#z/%"),
            "otpauth://totp/x%26secret%3DAAAA:u%3Fissuer%3Dy%23z%2F%25?secret=JBSWY3DPEHPK3PXP"
            "&issuer=x%26secret%3DAAAA&algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(uri("Caf\xC3\xA9", "a+b"),
            "otpauth://totp/Caf%C3%A9:a%2Bb?secret=JBSWY3DPEHPK3PXP&issuer=Caf%C3%A9"
            "&algorithm=SHA1&digits=6&period=30");
}

TEST(OtpauthUri, EmptyIssuerOmitsPrefixAndParameter) {
  EXPECT_EQ(uri("", "alice"),
            "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&algorithm=SHA1&digits=6&period=30");
}

TEST(PercentEncode, KeepsOnlyUnreserved) {
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode(":/?#[]@!$&'()*+,;= %"),
            "%3A%2F%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2B%2C%3B%3D%20%25");
  EXPECT_EQ(percent_encode(std::string_view("\0\x7F\xFF", 3)), "%00%7F%FF");
}

}  // namespace
}  // namespace hsm2fa::otp
