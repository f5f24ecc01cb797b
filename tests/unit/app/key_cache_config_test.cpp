// [hsm] key_cache_size: the wrapped vault's cache of unwrapped keys.
#include <gtest/gtest.h>

#include "config_text.hpp"

namespace hsm2fa::app {
namespace {

Result<AppConfig> load(const std::string& text) { return testing::load_config_text(text); }

TEST(KeyCacheConfig, DefaultsToTenThousand) {
  auto config = load("");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->token.key_cache_size, 10000u);
}

TEST(KeyCacheConfig, ZeroTurnsItOffAndOtherSizesAreKept) {
  auto off = load("[hsm]\nkey_cache_size = 0\n");
  ASSERT_TRUE(off.ok()) << off.error().message;
  EXPECT_EQ(off->token.key_cache_size, 0u);
  auto big = load("[hsm]\nkey_cache_size = 250000\n");
  ASSERT_TRUE(big.ok()) << big.error().message;
  EXPECT_EQ(big->token.key_cache_size, 250000u);
}

TEST(KeyCacheConfig, NegativeIsRefusedNamingTheKey) {
  auto config = load("[hsm]\nkey_cache_size = -1\n");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, Errc::config);
  EXPECT_NE(config.error().message.find("hsm.key_cache_size"), std::string::npos);
}

}  // namespace
}  // namespace hsm2fa::app
