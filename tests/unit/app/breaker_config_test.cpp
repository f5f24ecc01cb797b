// [hsm] call_timeout_ms and the circuit breaker knobs reach the token's config.
#include <gtest/gtest.h>

#include "config_text.hpp"

namespace hsm2fa::app {
namespace {

using std::chrono::milliseconds;

Result<AppConfig> load(const std::string& text) { return testing::load_config_text(text); }

TEST(BreakerConfig, Defaults) {
  auto config = load("");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->token.call_timeout, milliseconds(2000));
  EXPECT_EQ(config->token.breaker_failures, 5u);
  EXPECT_EQ(config->token.breaker_backoff_min, milliseconds(500));
  EXPECT_EQ(config->token.breaker_backoff_max, milliseconds(10000));
}

TEST(BreakerConfig, KeysReachTheToken) {
  auto config = load(
      "[hsm]\ncall_timeout_ms = 750\nbreaker_failures = 2\nbreaker_backoff_ms = 100\n"
      "breaker_backoff_max_ms = 400\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->token.call_timeout, milliseconds(750));
  EXPECT_EQ(config->hsm_call_timeout, milliseconds(750));
  EXPECT_EQ(config->token.breaker_failures, 2u);
  EXPECT_EQ(config->token.breaker_backoff_min, milliseconds(100));
  EXPECT_EQ(config->token.breaker_backoff_max, milliseconds(400));
}

TEST(BreakerConfig, MaxBelowMinIsRefusedNamingTheKey) {
  auto config = load("[hsm]\nbreaker_backoff_ms = 1000\nbreaker_backoff_max_ms = 999\n");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, Errc::config);
  EXPECT_NE(config.error().message.find("hsm.breaker_backoff_max_ms"), std::string::npos);
}

TEST(BreakerConfig, ZeroFailuresIsRefused) {
  auto config = load("[hsm]\nbreaker_failures = 0\n");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find("hsm.breaker_failures"), std::string::npos);
}

}  // namespace
}  // namespace hsm2fa::app
