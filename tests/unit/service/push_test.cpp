// Push approval over the fakes, with a real P-256 key made by OpenSSL playing the phone.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <string>

#include "service_fixture.hpp"

namespace hsm2fa::testing {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};

class TestPhone {
 public:
  explicit TestPhone(const char* curve = "P-256") : key_(EVP_EC_gen(curve)) {}
  std::string pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key_.get());
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string out(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return out;
  }
  std::string sign(const std::string& message) const {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::size_t len = 0;
    EVP_DigestSignInit_ex(ctx, nullptr, "SHA256", nullptr, nullptr, key_.get(), nullptr);
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(message.data()),
                   message.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(message.data()), message.size());
    sig.resize(len);
    EVP_MD_CTX_free(ctx);
    return sig;
  }

 private:
  std::unique_ptr<EVP_PKEY, PkeyDeleter> key_;
};

class PushTest : public ServiceTest {
 protected:
  void SetUp() override {
    ServiceConfig config = base_config();
    config.tenants["match"].push.number_matching = true;
    build(std::move(config));
  }
  std::string add(const TestPhone& phone, const std::string& tenant = "default") {
    auto id = service->register_device(caller, tenant, "alice", "phone", phone.pem());
    EXPECT_TRUE(id.ok()) << (id ? "" : id.error().message);
    return id ? *id : "";
  }
  PushChallenge open(const std::string& tenant = "default") {
    auto created = service->create_challenge(caller, tenant, "alice", {"pro.example", "", ""});
    EXPECT_TRUE(created.ok()) << (created ? "" : created.error().message);
    return *store->challenge(created->id).value();
  }
  PushAnswer answer(const TestPhone& phone, const std::string& device, const PushChallenge& c,
                    bool approve, std::optional<int> number = std::nullopt) {
    return PushAnswer{device, approve, number, phone.sign(push_signed_message(c, approve, number))};
  }
};

TEST_F(PushTest, OnlyP256KeysRegister) {
  TestPhone p384("P-384");
  auto r = service->register_device(caller, "default", "alice", "x", p384.pem());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_EQ(service->user("default", "alice")->push_devices, 0);
  add(TestPhone());
  EXPECT_EQ(service->user("default", "alice")->push_devices, 1);
}

TEST_F(PushTest, SignedApprovalIsSingleUseAndPublished) {
  TestPhone phone;
  const std::string device = add(phone);
  const PushChallenge c = open();
  int notified = 0;
  auto sub =
      service->change_feed()->subscribe(ChangeFeed::challenge_key(c.id), [&] { ++notified; });
  auto r = service->answer_challenge(caller, c.id, answer(phone, device, c, true));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->state, "approved");
  EXPECT_EQ(notified, 1);
  EXPECT_EQ(service->challenge_status(c.id)->method, "push");
  auto again = service->answer_challenge(caller, c.id, answer(phone, device, c, true));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::conflict);
}

TEST_F(PushTest, ForeignSignatureLeavesItPending) {
  TestPhone phone, thief;
  const std::string device = add(phone);
  const PushChallenge c = open();
  auto r = service->answer_challenge(caller, c.id, answer(thief, device, c, true));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::signature_invalid);
  EXPECT_EQ(service->challenge_status(c.id)->state, "pending");
}

TEST_F(PushTest, ExpiredChallengeIsRefusedAndReadsExpired) {
  TestPhone phone;
  const std::string device = add(phone);
  const PushChallenge c = open();
  advance_seconds(120);
  EXPECT_EQ(service->challenge_status(c.id)->state, "expired");
  auto r = service->answer_challenge(caller, c.id, answer(phone, device, c, true));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::conflict);
}

TEST_F(PushTest, WrongNumberDenies) {
  TestPhone phone;
  const std::string device = add(phone, "match");
  const PushChallenge c = open("match");
  ASSERT_EQ(c.numbers.size(), 3u);
  const int wrong = c.numbers[0] != c.number ? c.numbers[0] : c.numbers[1];
  auto r = service->answer_challenge(caller, c.id, answer(phone, device, c, true, wrong));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::conflict);
  EXPECT_EQ(service->challenge_status(c.id)->state, "denied");
}

TEST_F(PushTest, FivePerMinuteThenRateLimited) {
  for (int i = 0; i < 5; ++i) open();
  auto sixth = service->create_challenge(caller, "default", "alice", {"pro.example", "", ""});
  ASSERT_FALSE(sixth.ok());
  EXPECT_EQ(sixth.error().code, Errc::rate_limited);
  EXPECT_GE(sixth.error().retry_after_seconds, 1);
  advance_seconds(60);
  EXPECT_TRUE(service->create_challenge(caller, "default", "alice", {"pro.example", "", ""}).ok());
}

TEST_F(PushTest, CodeFallbackApprovesWithTheCodesMethod) {
  const std::string secret = activate();
  const PushChallenge c = open();
  auto r = service->challenge_code(caller, c.id, code(secret));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->valid);
  EXPECT_EQ(r->state, "approved");
  EXPECT_EQ(service->challenge_status(c.id)->method, "totp");
}

}  // namespace
}  // namespace hsm2fa::testing
