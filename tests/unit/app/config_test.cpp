#include "hsm2fa/app/config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace hsm2fa::app {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("hsm2fa-config-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result<AppConfig> load(const std::string& text) {
    const fs::path file = dir_ / "hsm2fa.toml";
    std::ofstream(file) << text;
    return load_config(file);
  }
  // The error message of a config that must fail.
  std::string error_of(const std::string& text) {
    auto config = load(text);
    EXPECT_FALSE(config.ok()) << text;
    if (config.ok()) return "";
    EXPECT_EQ(config.error().code, Errc::config);
    return config.error().message;
  }

  fs::path dir_;
};

TEST_F(ConfigTest, AnEmptyFileTakesEveryDefault) {
  auto config = load("");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->listen.unix_socket, dir_ / "hsm2fa.sock");
  EXPECT_EQ(config->listen.socket_mode, 0660u);
  EXPECT_FALSE(config->listen.tcp.has_value());
  EXPECT_EQ(config->server.io_threads, 1u);
  EXPECT_EQ(config->server.max_connections, 1024u);
  EXPECT_EQ(config->server.read_timeout, std::chrono::seconds(10));
  EXPECT_EQ(config->server.idle_timeout, std::chrono::seconds(60));
  EXPECT_EQ(config->server.shutdown_grace, std::chrono::seconds(10));
  EXPECT_EQ(config->server.worker_threads, 16u);
  EXPECT_EQ(config->service.token_concurrency, 1);
  EXPECT_EQ(config->token.module_path, "/usr/lib/softhsm/libsofthsm2.so");
  EXPECT_EQ(config->token.token_uri, "pkcs11:token=hsm2fa");
  EXPECT_EQ(config->token.pin_file, dir_ / "user.pin");
  EXPECT_EQ(config->token.custody, Custody::wrapped);
  EXPECT_EQ(config->token.sessions, 4u);
  EXPECT_EQ(config->store_url, "sqlite:" + (dir_ / "hsm2fa.db").string());
  EXPECT_EQ(config->log.level, "info");
  EXPECT_TRUE(config->log.file.empty());
  EXPECT_EQ(config->service.window, 1);
  EXPECT_EQ(config->service.pending_ttl, std::chrono::seconds(600));
  EXPECT_EQ(config->service.throttle.free_failures, 5);
  EXPECT_EQ(config->service.throttle.max_failures, 20);
  ASSERT_EQ(config->service.tenants.count("default"), 1u);
  EXPECT_EQ(config->service.tenants.at("default").issuer, "hsm2fa");
  EXPECT_EQ(config->service.tenants.at("default").digits, 6);
  EXPECT_FALSE(config->access.configured);
}

TEST_F(ConfigTest, TheExampleConfigLoads) {
  const fs::path example = fs::path(HSM2FA_SOURCE_DIR) / "config" / "hsm2fa.example.toml";
  auto config = load_config(example);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->token.pin_file, example.parent_path() / "user.pin");
}

TEST_F(ConfigTest, RelativePathsResolveAgainstTheConfigDirectory) {
  auto config = load(R"(
[server]
unix_socket = "run/d.sock"
[hsm]
pin_file = "../secrets/user.pin"
module = "lib/module.so"
[store]
url = "sqlite:data/x.db"
[log]
file = "log/d.log"
)");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->listen.unix_socket, dir_ / "run/d.sock");
  EXPECT_EQ(config->token.pin_file, (dir_ / "../secrets/user.pin").lexically_normal());
  EXPECT_EQ(config->token.module_path, (dir_ / "lib/module.so").string());
  EXPECT_EQ(config->store_url, "sqlite:" + (dir_ / "data/x.db").string());
  EXPECT_EQ(config->log.file, dir_ / "log/d.log");
}

TEST_F(ConfigTest, AbsolutePathsAndBareModuleNamesStay) {
  auto config = load(R"(
[hsm]
pin_file = "/etc/hsm2fa/user.pin"
module = "libsofthsm2.so"
[store]
url = "sqlite:/var/lib/hsm2fa/x.db"
)");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->token.pin_file, "/etc/hsm2fa/user.pin");
  EXPECT_EQ(config->token.module_path, "libsofthsm2.so");
  EXPECT_EQ(config->store_url, "sqlite:/var/lib/hsm2fa/x.db");
}

TEST_F(ConfigTest, BadValuesNameTheKey) {
  EXPECT_EQ(error_of("[hsm]\nsessions = 0\n"), "config: hsm.sessions: must be between 1 and 256");
  EXPECT_EQ(error_of("[hsm]\nsessions = \"4\"\n"), "config: hsm.sessions: must be an integer");
  EXPECT_EQ(error_of("[hsm]\ncustody = \"cloud\"\n"),
            "config: hsm.custody: must be one of \"wrapped\", \"token\"");
  EXPECT_EQ(error_of("[hsm]\ntoken = \"token=x\"\n").rfind("config: hsm.token: ", 0), 0u);
  EXPECT_EQ(error_of("[server]\nsocket_mode = \"0999\"\n").rfind("config: server.socket_mode:", 0),
            0u);
  EXPECT_EQ(error_of("[server]\nsocket_mode = \"0060\"\n").rfind("config: server.socket_mode:", 0),
            0u);
  EXPECT_EQ(error_of("[totp]\ndigits = 7\n"), "config: totp.digits: must be 6 or 8");
  EXPECT_EQ(error_of("[totp]\nalgorithm = \"MD5\"\n").rfind("config: totp.algorithm:", 0), 0u);
  EXPECT_EQ(error_of("[throttle]\nmax_failures = 101\n"),
            "config: throttle.max_failures: must be between 1 and 100");
  EXPECT_EQ(error_of("[throttle]\nmax_failures = 3\nfree_failures = 5\n"),
            "config: throttle.free_failures: must be between 0 and 3");
  EXPECT_EQ(error_of("[store]\nurl = \"mysql://x\"\n").rfind("config: store.url:", 0), 0u);
  EXPECT_EQ(error_of("[log]\nlevel = \"loud\"\n").rfind("config: log.level:", 0), 0u);
  EXPECT_EQ(error_of("[tenants.acme]\nissuer = \"a:b\"\n").rfind("config: tenants.acme.issuer:", 0),
            0u);
  EXPECT_EQ(error_of("[tenants.\"bad name\"]\n").rfind("config: tenants.bad name:", 0), 0u);
  EXPECT_EQ(error_of("[access.admin]\nuids = [\"root\"]\n").rfind("config: access.admin.uids:", 0),
            0u);
}

TEST_F(ConfigTest, WorkerThreadsLiveInServerAndStillReadFromHsm) {
  auto config = load("[server]\nworker_threads = 6\n[hsm]\ntoken_concurrency = 2\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->server.worker_threads, 6u);
  EXPECT_EQ(config->service.token_concurrency, 2);
  config = load("[hsm]\nworker_threads = 3\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->server.worker_threads, 3u);
  EXPECT_EQ(error_of("[server]\nworker_threads = 6\n[hsm]\nworker_threads = 3\n"),
            "config: hsm.worker_threads: set it in [server] only");
  EXPECT_EQ(error_of("[hsm]\ntoken_concurrency = 0\n"),
            "config: hsm.token_concurrency: must be between 1 and 256");
}

TEST_F(ConfigTest, UnknownKeysAreRefused) {
  EXPECT_EQ(error_of("[hsm]\nsesions = 4\n"), "config: hsm.sesions: unknown key");
  EXPECT_EQ(error_of("[serverr]\n"), "config: serverr: unknown key");
  EXPECT_EQ(error_of("[access.root]\nuids = [0]\n"), "config: access.root: unknown key");
  EXPECT_EQ(error_of("[tenants.acme]\nissuer = \"A\"\nwindow = 2\n"),
            "config: tenants.acme.window: unknown key");
}

TEST_F(ConfigTest, TomlSyntaxErrorsNameTheLine) {
  const std::string message = error_of("[server]\nio_threads = = 2\n");
  EXPECT_NE(message.find("hsm2fa.toml:2"), std::string::npos) << message;
}

TEST_F(ConfigTest, NonLoopbackTcpIsRefusedBecauseTlsIsMissing) {
  const std::string message = error_of("[server]\ntcp = \"0.0.0.0:8750\"\n");
  EXPECT_EQ(message.rfind("config: server.tcp:", 0), 0u) << message;
  EXPECT_NE(message.find("TLS"), std::string::npos) << message;
  auto config = load("[server]\ntcp = \"127.0.0.1:8750\"\ntcp_roles = [\"verifier\"]\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(*config->listen.tcp, "127.0.0.1:8750");
  EXPECT_TRUE(config->access.tcp_roles.has(http::Role::verifier));
  EXPECT_FALSE(config->access.tcp_roles.has(http::Role::enroller));
}

TEST_F(ConfigTest, TenantsInheritTheTotpDefaults) {
  auto config = load(R"(
[totp]
digits = 8
algorithm = "SHA256"
export_policy = "never"
[tenants.default]
issuer = "Example Co"
[tenants.acme]
issuer = "pro.dbflex.net"
export_policy = "always"
period = 60
)");
  ASSERT_TRUE(config.ok()) << config.error().message;
  const auto& tenants = config->service.tenants;
  ASSERT_EQ(tenants.size(), 2u);
  EXPECT_EQ(tenants.at("default").issuer, "Example Co");
  EXPECT_EQ(tenants.at("default").digits, 8);
  EXPECT_EQ(tenants.at("default").export_policy, service::ExportPolicy::never);
  EXPECT_EQ(tenants.at("acme").issuer, "pro.dbflex.net");
  EXPECT_EQ(tenants.at("acme").algorithm, HashAlg::sha256);
  EXPECT_EQ(tenants.at("acme").period, 60);
  EXPECT_EQ(tenants.at("acme").export_policy, service::ExportPolicy::always);
}

TEST_F(ConfigTest, AccessSection) {
  auto config = load(R"(
[access.admin]
uids = [0]
[access.verifier]
uids = [1001]
gids = [1001, 1002]
)");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_TRUE(config->access.configured);
  EXPECT_EQ(config->access.admin.uids, std::vector<std::uint32_t>{0});
  EXPECT_EQ(config->access.verifier.gids, (std::vector<std::uint32_t>{1001, 1002}));
  EXPECT_TRUE(config->access.enroller.uids.empty());
}

TEST_F(ConfigTest, ConfigPathLookupOrder) {
  ::unsetenv("HSM2FA_CONFIG");
  ::unsetenv("HSM2FA_VAR");
  EXPECT_EQ(config_path(std::string("/x/y.toml")), "/x/y.toml");
  EXPECT_EQ(config_path(std::nullopt), fs::path("./var/hsm2fa.toml"));
  ::setenv("HSM2FA_VAR", "/srv/state", 1);
  EXPECT_EQ(config_path(std::nullopt), fs::path("/srv/state/hsm2fa.toml"));
  ::setenv("HSM2FA_CONFIG", "/etc/hsm2fa.toml", 1);
  EXPECT_EQ(config_path(std::nullopt), fs::path("/etc/hsm2fa.toml"));
  EXPECT_EQ(config_path(std::string("/x/y.toml")), "/x/y.toml");
  ::unsetenv("HSM2FA_CONFIG");
  ::unsetenv("HSM2FA_VAR");
}

TEST_F(ConfigTest, AMissingFileIsAConfigError) {
  auto config = load_config(dir_ / "absent.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, Errc::config);
  EXPECT_NE(config.error().message.find("absent.toml"), std::string::npos);
}

}  // namespace
}  // namespace hsm2fa::app
