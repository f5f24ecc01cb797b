// [hsm] recycle_after_objects: unset means "the token layer decides" (SoftHSM2 in wrapped
// custody: on), 0 turns it off, and token custody refuses a positive value.
#include <gtest/gtest.h>

#include "config_text.hpp"

namespace hsm2fa::app {
namespace {

Result<AppConfig> load(const std::string& text) { return testing::load_config_text(text); }

TEST(RecycleConfig, UnsetLeavesTheChoiceToTheTokenLayer) {
  auto config = load("");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_FALSE(config->token.recycle_after_objects.has_value());
}

TEST(RecycleConfig, ZeroAndOtherValuesAreKept) {
  auto off = load("[hsm]\nrecycle_after_objects = 0\n");
  ASSERT_TRUE(off.ok()) << off.error().message;
  ASSERT_TRUE(off->token.recycle_after_objects.has_value());
  EXPECT_EQ(*off->token.recycle_after_objects, 0u);
  auto some = load("[hsm]\nrecycle_after_objects = 50000\n");
  ASSERT_TRUE(some.ok()) << some.error().message;
  EXPECT_EQ(some->token.recycle_after_objects.value_or(0), 50000u);
}

TEST(RecycleConfig, TokenCustodyAndNegativeValuesAreRefusedNamingTheKey) {
  for (const char* text : {"[hsm]\ncustody = \"token\"\nrecycle_after_objects = 100\n",
                           "[hsm]\nrecycle_after_objects = -5\n"}) {
    auto config = load(text);
    ASSERT_FALSE(config.ok()) << text;
    EXPECT_EQ(config.error().code, Errc::config);
    EXPECT_NE(config.error().message.find("hsm.recycle_after_objects"), std::string::npos)
        << config.error().message;
  }
  auto token_off = load("[hsm]\ncustody = \"token\"\nrecycle_after_objects = 0\n");
  EXPECT_TRUE(token_off.ok());
}

}  // namespace
}  // namespace hsm2fa::app
