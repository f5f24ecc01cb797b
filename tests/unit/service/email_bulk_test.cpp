// The bulk switch and email codes over the fakes: a MAC that is a plain digest (the service only
// compares MACs), a sender that keeps the last message's code, and one that always fails.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>
#include <vector>

#include "service_fixture.hpp"

namespace hsm2fa::testing {
namespace {

class RecordingSender final : public EmailSender {
 public:
  Status send(const EmailMessage& m) override {
    if (failing) return make_error(Errc::delivery_failed, "relay down");
    last_code = std::string(m.code->view());
    last_to = m.to;
    last_issuer = m.issuer;
    ++sent;
    return {};
  }
  bool failing = false;
  std::string last_code, last_to, last_issuer;
  int sent = 0;
};

Result<Mac> digest_mac(std::string_view purpose, std::span<const std::uint8_t> data) {
  std::string input(purpose);
  input.push_back('\0');
  input.append(reinterpret_cast<const char*>(data.data()), data.size());
  Mac mac;
  unsigned int n = 0;
  EVP_Digest(input.data(), input.size(), mac.bytes.data(), &n, EVP_sha256(), nullptr);
  mac.size = n;
  return mac;
}

class EmailBulkTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceConfig config = base_config();
    config.tenants["default"].email =
        EmailPolicy{.enabled = true, .max_attempts = 2, .resend_after = std::chrono::seconds(30)};
    config.tenants["caller"].email =
        EmailPolicy{.enabled = true, .digits = 8, .delivery = EmailDelivery::caller};
    vault = std::make_shared<FakeSeedVault>();
    store = std::make_shared<FakeStore>();
    clock = std::make_shared<ManualClock>(kStart);
    sender = std::make_shared<RecordingSender>();
    auto made = make_two_factor_service(
        std::move(config), vault, store, clock, [this] { return probe; }, nullptr,
        FlowPorts{digest_mac, nullptr, sender});
    ASSERT_TRUE(made.ok()) << made.error().message;
    service = std::move(*made);
  }

  std::string send(const std::string& user = "alice") {
    auto r = service->send_email_code(caller, "default", user, "alice@example.com");
    EXPECT_TRUE(r.ok()) << (r ? "" : r.error().message);
    return sender->last_code;
  }

  std::shared_ptr<RecordingSender> sender;
};

TEST_F(EmailBulkTest, ACodeVerifiesOnceAsEmail) {
  const std::string code = send();
  ASSERT_EQ(code.size(), 6u);
  EXPECT_EQ(sender->last_to, "alice@example.com");
  EXPECT_TRUE(service->user("default", "alice")->email);
  const VerifyResult first = verify_ok(code);
  EXPECT_TRUE(first.valid);
  EXPECT_EQ(first.method, "email");
  const VerifyResult again = verify_ok(code);
  EXPECT_FALSE(again.valid);
  EXPECT_FALSE(service->user("default", "alice")->email);
}

TEST_F(EmailBulkTest, ANewCodeKillsTheOldOneAfterTheCooldown) {
  const std::string old_code = send();
  auto early = service->send_email_code(caller, "default", "alice", "alice@example.com");
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code, Errc::rate_limited);
  EXPECT_EQ(early.error().retry_after_seconds, 30);
  advance_seconds(30);
  std::string new_code = send();
  while (new_code == old_code) {  // one chance in a million: draw again
    advance_seconds(30);
    new_code = send();
  }
  EXPECT_FALSE(verify_ok(old_code).valid);
  EXPECT_TRUE(verify_ok(new_code).valid);
}

TEST_F(EmailBulkTest, ExpiredCodeSaysExpired) {
  const std::string code = send();
  advance_seconds(600);
  const VerifyResult r = verify_ok(code);
  EXPECT_FALSE(r.valid);
  EXPECT_EQ(r.reason, VerifyReason::expired);
}

TEST_F(EmailBulkTest, WrongCodesUseUpTheAttempts) {
  const std::string code = send();
  const std::string wrong = code == "000000" ? "111111" : "000000";
  EXPECT_EQ(verify_ok(wrong).reason, VerifyReason::wrong_code);
  EXPECT_EQ(verify_ok(wrong).reason, VerifyReason::wrong_code);
  EXPECT_FALSE(verify_ok(code).valid);  // two attempts: the code is gone
}

TEST_F(EmailBulkTest, AFailedSendLeavesNoLiveCode) {
  sender->failing = true;
  auto r = service->send_email_code(caller, "default", "alice", "alice@example.com");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::delivery_failed);
  EXPECT_FALSE(*store->email_code("default", "alice"));
  sender->failing = false;
  EXPECT_EQ(send().size(), 6u);  // and no cool-down either
}

TEST_F(EmailBulkTest, CallerDeliveryReturnsTheCode) {
  auto r = service->send_email_code(caller, "caller", "bob", "bob@example.com");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->delivery, EmailDelivery::caller);
  ASSERT_EQ(r->code.size(), 8u);
  EXPECT_EQ(sender->sent, 0);
  auto v = service->verify(caller, "caller", "bob", std::string(r->code.view()));
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->valid);
}

TEST_F(EmailBulkTest, EmailOffOrBadAddressIsRefused) {
  auto off = service->send_email_code(caller, "acme", "alice", "alice@example.com");
  ASSERT_FALSE(off.ok());
  EXPECT_EQ(off.error().code, Errc::conflict);
  for (const char* bad : {"no-at", "a@b\r\nBcc: x@y", "<a@b>", "a@", "@b"}) {
    auto r = service->send_email_code(caller, "default", "alice", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << bad;
  }
}

TEST_F(EmailBulkTest, TotpStillWinsWithAnEmailCodeLive) {
  const std::string secret = activate();
  send();
  const VerifyResult r = verify_ok(code(secret));
  EXPECT_TRUE(r.valid);
  EXPECT_EQ(r.method, "totp");
}

TEST_F(EmailBulkTest, BulkReportsBadIdsAndChangesTheRest) {
  const std::vector<std::string> users{"a", "bad id", "b", "", "c"};
  auto r = service->set_two_factor_bulk(caller, "default", users, true, "", 0);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), users.size());
  for (std::size_t i = 0; i < users.size(); ++i) {
    const bool bad = users[i] == "bad id" || users[i].empty();
    EXPECT_EQ((*r)[i].user, users[i]);
    EXPECT_EQ((*r)[i].error.has_value(), bad) << users[i];
    if (!bad) {
      EXPECT_TRUE(service->user("default", users[i])->two_factor_enabled);
    }
  }
}

TEST_F(EmailBulkTest, BulkDisableNeedsAReasonAndHonoursUntil) {
  const std::vector<std::string> users{"a", "b"};
  auto none = service->set_two_factor_bulk(caller, "default", users, false, "", 0);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, Errc::invalid_argument);
  ASSERT_TRUE(service->set_two_factor_bulk(caller, "default", users, true, "", 0).ok());
  ASSERT_TRUE(
      service->set_two_factor_bulk(caller, "default", users, false, "migration", kStart + 60).ok());
  EXPECT_FALSE(service->user("default", "a")->two_factor_enabled);
  advance_seconds(60);
  EXPECT_TRUE(service->user("default", "a")->two_factor_enabled);  // the time box lapsed
}

TEST_F(EmailBulkTest, BulkStoreFailureIsPerEntry) {
  store->fail(FakeStore::Op::write_user);
  const std::vector<std::string> users{"a", "bad id"};
  auto r = service->set_two_factor_bulk(caller, "default", users, true, "", 0);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE((*r)[0].error);
  EXPECT_EQ((*r)[0].error->code, Errc::store_unavailable);
  EXPECT_EQ((*r)[1].error->code, Errc::invalid_argument);
}

}  // namespace
}  // namespace hsm2fa::testing
