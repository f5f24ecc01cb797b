#include "service_fixture.hpp"

namespace hsm2fa::testing {
namespace {

using VerifyTest = ServiceTest;

TEST_F(VerifyTest, CurrentCodeIsValidOnceThenReplayed) {
  const std::string secret = activate();
  VerifyResult first = verify_ok(code(secret));
  EXPECT_TRUE(first.valid);
  EXPECT_EQ(first.method, "totp");
  EXPECT_EQ(credential(CredentialState::active)->last_step, step());
  VerifyResult again = verify_ok(code(secret));
  EXPECT_FALSE(again.valid);
  EXPECT_EQ(again.reason, VerifyReason::replayed);
  EXPECT_EQ(store->user_state("default", "alice")->throttle.failures, 1);
}

TEST_F(VerifyTest, OlderInWindowCodeAfterANewerOneIsReplayed) {
  const std::string secret = activate();
  EXPECT_TRUE(verify_ok(code(secret, 0)).valid);
  EXPECT_EQ(verify_ok(code(secret, -1)).reason, VerifyReason::replayed);
}

TEST_F(VerifyTest, WindowEdges) {
  const std::string secret = activate();
  advance_seconds(60);  // two steps past the confirmation, so step - 2 is not yet spent
  EXPECT_EQ(verify_ok(code(secret, -2)).reason, VerifyReason::wrong_code);
  EXPECT_EQ(verify_ok(code(secret, 2)).reason, VerifyReason::wrong_code);
  EXPECT_TRUE(verify_ok(code(secret, -1)).valid);
  EXPECT_TRUE(verify_ok(code(secret, 1)).valid);
  EXPECT_EQ(verify_ok(code(secret, 0)).reason, VerifyReason::replayed) << "before the last step";
}

TEST_F(VerifyTest, WindowZeroAcceptsOnlyTheCurrentStep) {
  ServiceConfig config = base_config();
  config.window = 0;
  build(std::move(config));
  const std::string secret = activate();
  EXPECT_EQ(verify_ok(code(secret, 1)).reason, VerifyReason::wrong_code);
  EXPECT_TRUE(verify_ok(code(secret, 0)).valid);
}

TEST_F(VerifyTest, SecondsWithinAStepShareItsCode) {
  const std::string secret = activate();
  const std::string c = code(secret);
  advance_seconds(29);
  EXPECT_TRUE(verify_ok(c).valid);
}

TEST_F(VerifyTest, NotEnrolledStillChecksTheFormat) {
  EXPECT_EQ(verify_ok("123456").reason, VerifyReason::not_enrolled);
  EXPECT_EQ(verify_ok("12345678").reason, VerifyReason::not_enrolled);
  EXPECT_EQ(service->verify(caller, "default", "alice", "12345").error().code,
            Errc::invalid_argument);
  enroll();  // pending only
  EXPECT_EQ(verify_ok("123456").reason, VerifyReason::not_enrolled);
  EXPECT_EQ(store->failure_calls(), 0);
}

TEST_F(VerifyTest, MalformedCodesAreInvalidArgumentAndCountNothing) {
  const std::string secret = activate();
  const std::string good = code(secret);
  const std::string bad_codes[] = {
      "12345",
      "123456789",
      "1234567",
      "12345678",  // 8 digits for a 6-digit credential
      " " + good,
      good + " ",
      good.substr(0, 3) + " " + good.substr(3),
      "\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6",  // Arabic-Indic digits
      "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94\xef\xbc\x95\xef\xbc\x96",  // fullwidth
      "+12345",
      "-12345",
      "12345a",
      std::string("12345\0", 6),
      "",
  };
  for (const auto& bad : bad_codes) {
    auto r = service->verify(caller, "default", "alice", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << bad;
  }
  EXPECT_EQ(vault->oracle_calls(), 1) << "only the confirmation reached the token";
  EXPECT_EQ(store->failure_calls(), 0);
  EXPECT_TRUE(verify_ok(good).valid) << "a rejected variant did not spend the code";
}

TEST_F(VerifyTest, VaultFailureIsAnErrorNeverValid) {
  const std::string secret = activate();
  vault->fail(FakeSeedVault::Op::oracle);
  auto r = service->verify(caller, "default", "alice", code(secret));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::hsm_unavailable);
  EXPECT_EQ(store->accept_calls(), 0);
  EXPECT_EQ(store->failure_calls(), 0);
  vault->fail(FakeSeedVault::Op::oracle, false);
  EXPECT_TRUE(verify_ok(code(secret)).valid) << "the code was not spent by the failed attempt";
}

TEST_F(VerifyTest, StoreFailureAtTheReplayGuardIsAnErrorNeverValid) {
  const std::string secret = activate();
  store->fail(FakeStore::Op::accept);
  auto r = service->verify(caller, "default", "alice", code(secret));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::store_unavailable);
}

TEST_F(VerifyTest, StoreReadFailureIsAnError) {
  const std::string secret = activate();
  store->fail(FakeStore::Op::read);
  auto r = service->verify(caller, "default", "alice", code(secret));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::store_unavailable);
  EXPECT_EQ(vault->oracle_calls(), 1);
}

TEST_F(VerifyTest, FailureThatCannotBeCountedIsAnError) {
  const std::string secret = activate();
  store->fail(FakeStore::Op::record_failure);
  auto r = service->verify(caller, "default", "alice", wrong_code(secret));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::store_unavailable);
}

TEST_F(VerifyTest, CredentialDeletedDuringVerifyIsNotValid) {
  const std::string secret = activate();
  store->before_accept([&] { ASSERT_TRUE(store->delete_totp("default", "alice").ok()); });
  EXPECT_EQ(verify_ok(code(secret)).reason, VerifyReason::wrong_code);
}

TEST_F(VerifyTest, AnExceptionFromAPortBecomesAnInternalError) {
  const std::string secret = activate();
  store->throw_on(FakeStore::Op::accept);
  auto r = service->verify(caller, "default", "alice", code(secret));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::internal);
}

TEST_F(VerifyTest, EightDigitSha256Credential) {
  auto e = service->enroll_totp(
      caller, {.tenant = "default", .user = "carol", .algorithm = HashAlg::sha256, .digits = 8});
  ASSERT_TRUE(e.ok());
  const std::string secret(e->secret_base32.view());
  auto app_code = [&](int offset) {
    return reference_code(secret, HashAlg::sha256, 8, step() + offset);
  };
  ASSERT_TRUE(service->confirm_totp(caller, "default", "carol", app_code(0))->valid);
  EXPECT_TRUE(verify_ok(app_code(1), "carol").valid);
  EXPECT_EQ(service->verify(caller, "default", "carol", app_code(1).substr(2)).error().code,
            Errc::invalid_argument)
      << "6 digits for an 8-digit credential";
}

}  // namespace
}  // namespace hsm2fa::testing
