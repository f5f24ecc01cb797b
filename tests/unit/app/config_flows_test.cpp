// The [email], [email.smtp] and [push] sections and their per-tenant overrides.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "hsm2fa/app/config.hpp"

namespace hsm2fa::app {
namespace {

namespace fs = std::filesystem;

class FlowsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hsm2fa-flows-config-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  Result<AppConfig> load(const std::string& text) {
    std::ofstream(dir_ / "hsm2fa.toml") << text;
    return load_config(dir_ / "hsm2fa.toml");
  }
  fs::path dir_;
};

TEST_F(FlowsConfigTest, DefaultsKeepEmailOffAndPushModest) {
  auto config = load("");
  ASSERT_TRUE(config.ok()) << config.error().message;
  const auto& tenant = config->service.tenants.at("default");
  EXPECT_FALSE(tenant.email.enabled);
  EXPECT_EQ(tenant.email.ttl, std::chrono::seconds(600));
  EXPECT_EQ(tenant.push.challenge_ttl, std::chrono::seconds(120));
  EXPECT_EQ(tenant.push.max_challenges_per_minute, 5);
  EXPECT_FALSE(tenant.push.number_matching);
  EXPECT_EQ(config->smtp.starttls, service::StartTls::opportunistic);
}

TEST_F(FlowsConfigTest, TenantsOverrideTheSectionDefaults) {
  auto config = load(R"(
[email]
enabled = true
resend_seconds = 30
[email.smtp]
url = "smtp://relay.example:2525"
starttls = "required"
[push]
number_matching = true
[tenants.acme]
issuer = "Acme"
[tenants.acme.email]
delivery = "caller"
digits = 8
[tenants.acme.push]
challenge_ttl_seconds = 600
[tenants.quiet]
[tenants.quiet.email]
enabled = false
)");
  ASSERT_TRUE(config.ok()) << config.error().message;
  const auto& acme = config->service.tenants.at("acme");
  EXPECT_TRUE(acme.email.enabled);
  EXPECT_EQ(acme.email.delivery, service::EmailDelivery::caller);
  EXPECT_EQ(acme.email.digits, 8);
  EXPECT_EQ(acme.email.resend_after, std::chrono::seconds(30));
  EXPECT_TRUE(acme.push.number_matching);
  EXPECT_EQ(acme.push.challenge_ttl, std::chrono::seconds(600));
  EXPECT_FALSE(config->service.tenants.at("quiet").email.enabled);
  EXPECT_TRUE(config->service.tenants.at("default").email.enabled);
  EXPECT_EQ(config->smtp.url, "smtp://relay.example:2525");
  EXPECT_EQ(config->smtp.starttls, service::StartTls::required);
}

TEST_F(FlowsConfigTest, BadValuesNameTheKey) {
  auto too_long = load("[push]\nchallenge_ttl_seconds = 601\n");
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.error().message.find("push.challenge_ttl_seconds"), std::string::npos);
  auto bad_url = load("[email.smtp]\nurl = \"http://relay\"\n");
  ASSERT_FALSE(bad_url.ok());
  EXPECT_NE(bad_url.error().message.find("email.smtp.url"), std::string::npos);
  auto typo = load("[tenants.a]\n[tenants.a.email]\nenable = true\n");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().message.find("tenants.a.email.enable"), std::string::npos);
  auto no_password = load("[email.smtp]\nusername = \"u\"\n");
  ASSERT_FALSE(no_password.ok());
  std::ofstream(dir_ / "body.txt") << "no code here\n";
  auto bad_template = load("[email.smtp]\ntemplate_file = \"body.txt\"\n");
  ASSERT_FALSE(bad_template.ok());
  EXPECT_NE(bad_template.error().message.find("{code}"), std::string::npos);
}

}  // namespace
}  // namespace hsm2fa::app
