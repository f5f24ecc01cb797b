// The RFC 7512 token URI parser: strict, percent-decoding, no silent widening.
#include <gtest/gtest.h>

#include "token_uri.hpp"

namespace hsm2fa::hsm {
namespace {

TEST(TokenUri, ParsesEverySupportedAttribute) {
  auto uri = parse_token_uri(
      "pkcs11:token=My%20Token;serial=abc123;manufacturer=SoftHSM%20project;model=SoftHSM%20v2;"
      "slot-id=42");
  ASSERT_TRUE(uri.ok()) << uri.error().message;
  EXPECT_EQ(uri->token, "My Token");
  EXPECT_EQ(uri->serial, "abc123");
  EXPECT_EQ(uri->manufacturer, "SoftHSM project");
  EXPECT_EQ(uri->model, "SoftHSM v2");
  EXPECT_EQ(uri->slot_id, 42ul);
}

TEST(TokenUri, RejectsWhatItDoesNotUnderstand) {
  for (const char* bad :
       {"pkcs12:token=x", "token=x", "pkcs11:token=x;object=key", "pkcs11:token=x?pin-value=1234",
        "pkcs11:token=a;token=b", "pkcs11:token=%4", "pkcs11:token=%zz", "pkcs11:slot-id=1x",
        "pkcs11:slot-id=", "pkcs11:token"}) {
    auto uri = parse_token_uri(bad);
    ASSERT_FALSE(uri.ok()) << bad;
    EXPECT_EQ(uri.error().code, Errc::config) << bad;
  }
}

TEST(TokenUri, ErrorNamesTheUnknownAttribute) {
  auto uri = parse_token_uri("pkcs11:token=x;library-version=2");
  ASSERT_FALSE(uri.ok());
  EXPECT_NE(uri.error().message.find("library-version"), std::string::npos) << uri.error().message;
}

TEST(TokenUri, MatchesOnlyTheGivenAttributes) {
  TokenIdentity identity{7, "hsm2fa", "0123", "SoftHSM project", "SoftHSM v2"};
  EXPECT_TRUE(matches(*parse_token_uri("pkcs11:"), identity));
  EXPECT_TRUE(matches(*parse_token_uri("pkcs11:token=hsm2fa;slot-id=7"), identity));
  EXPECT_FALSE(matches(*parse_token_uri("pkcs11:token=hsm2fa;slot-id=8"), identity));
  EXPECT_FALSE(matches(*parse_token_uri("pkcs11:token=hsm2f"), identity));
  EXPECT_FALSE(matches(*parse_token_uri("pkcs11:serial=0124"), identity));
}

}  // namespace
}  // namespace hsm2fa::hsm
