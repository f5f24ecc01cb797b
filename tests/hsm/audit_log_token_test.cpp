// The audit log sealed and checkpointed by the token's keys, end to end: what the daemon does,
// with the AuditKeys adapter the application provides over hsm/.
#include <random>

#include "hsm2fa/audit/audit_log.hpp"
#include "hsm2fa/audit/verify.hpp"
#include "hsm2fa/hsm/audit_key.hpp"
#include "support/softhsm_token.hpp"

namespace hsm2fa::hsm {
namespace {

using testing::ThrowAwayToken;

class TokenAuditKeys final : public audit::AuditKeys {
 public:
  explicit TokenAuditKeys(std::shared_ptr<Token> token) : token_(std::move(token)) {}
  Result<Mac> seal(std::span<const std::uint8_t> data) override {
    return service_mac(*token_, "audit", data);
  }
  Result<std::vector<std::uint8_t>> sign(std::span<const std::uint8_t, 32> digest) override {
    return audit_sign(*token_, digest);
  }

 private:
  std::shared_ptr<Token> token_;
};

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("hsm2fa-audit-token-" + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

TEST(AuditLogInToken, SealsAndCheckpointsVerifyWithTheTokensKeys) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto opened = testing::open_provisioned(ThrowAwayToken::get().config(Custody::wrapped, "alog"));
  ASSERT_TRUE(opened.vault);
  auto keys = std::make_shared<TokenAuditKeys>(opened.token);
  TempDir dir;
  audit::AuditLogOptions options;
  options.dir = dir.path;
  options.instance = "hsm-test";
  options.checkpoint_lines = 2;
  {
    auto log = audit::AuditLog::open(options, keys, std::make_shared<SystemClock>());
    ASSERT_TRUE(log.ok()) << log.error().message;
    for (int i = 0; i < 5; ++i) {
      audit::AuditRecord r;
      r.action = "verify";
      r.user = "u" + std::to_string(i);
      r.outcome = "valid";
      ASSERT_TRUE((*log)->record(r).ok());
    }
  }
  auto pem = audit_public_key_pem(*opened.token);
  ASSERT_TRUE(pem.ok()) << pem.error().message;
  audit::VerifyOptions verify;
  verify.public_key_pem = *pem;
  verify.seal_keys = keys;
  auto files = audit::audit_files(dir.path);
  auto report = audit::verify_audit(files, verify);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_TRUE(report->intact()) << audit::format_report(*report);
  EXPECT_EQ(report->checkpoints_verified, 2u);
  EXPECT_EQ(report->seals_verified, report->lines);

  // Another token key pair's public key does not vouch for these checkpoints.
  auto other = testing::open_provisioned(ThrowAwayToken::get().config(Custody::wrapped, "alog2"));
  ASSERT_TRUE(other.vault);
  auto other_pem = audit_public_key_pem(*other.token);
  ASSERT_TRUE(other_pem.ok());
  verify.public_key_pem = *other_pem;
  verify.seal_keys = std::make_shared<TokenAuditKeys>(other.token);
  report = audit::verify_audit(files, verify);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->intact());
  EXPECT_EQ(report->checkpoints_verified, 0u);
  EXPECT_EQ(report->seals_verified, 0u);
}

}  // namespace
}  // namespace hsm2fa::hsm
