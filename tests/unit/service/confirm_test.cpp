#include "service_fixture.hpp"

namespace hsm2fa::testing {
namespace {

using ConfirmTest = ServiceTest;

TEST_F(ConfirmTest, CorrectCodeActivatesLocksAndSpendsTheStep) {
  Enrollment e = enroll();
  const std::string secret(e.secret_base32.view());
  auto r = service->confirm_totp(caller, "default", "alice", code(secret));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->valid);
  EXPECT_EQ(r->state, CredentialState::active);

  auto active = credential(CredentialState::active);
  ASSERT_TRUE(active);
  EXPECT_EQ(active->last_step, step());
  EXPECT_TRUE(vault->record(active->seed)->locked);
  EXPECT_FALSE(credential(CredentialState::pending));
  // The confirmation code itself cannot be used to log in.
  EXPECT_EQ(verify_ok(code(secret)).reason, VerifyReason::replayed);
}

TEST_F(ConfirmTest, WrongCodeStaysPendingAndCountsAFailure) {
  Enrollment e = enroll();
  const std::string secret(e.secret_base32.view());
  auto r = service->confirm_totp(caller, "default", "alice", wrong_code(secret));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->valid);
  EXPECT_EQ(r->state, CredentialState::pending);
  EXPECT_EQ(store->user_state("default", "alice")->throttle.failures, 1);
  EXPECT_TRUE(credential(CredentialState::pending));
}

TEST_F(ConfirmTest, CorrectCodeAfterAFailureClearsTheFailureCount) {
  Enrollment e = enroll();
  const std::string secret(e.secret_base32.view());
  ASSERT_TRUE(service->confirm_totp(caller, "default", "alice", wrong_code(secret)).ok());
  ASSERT_EQ(store->user_state("default", "alice")->throttle.failures, 1);
  advance_seconds(2);  // past the first back-off, within the same pending lifetime
  auto r = service->confirm_totp(caller, "default", "alice", code(secret));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->valid);
  EXPECT_EQ(store->user_state("default", "alice")->throttle.failures, 0);
}

TEST_F(ConfirmTest, WrongCodeLocksNothing) {
  Enrollment e = enroll();
  const std::string secret(e.secret_base32.view());
  ASSERT_FALSE(service->confirm_totp(caller, "default", "alice", wrong_code(secret))->valid);
  auto pending = credential(CredentialState::pending);
  ASSERT_TRUE(pending);
  EXPECT_FALSE(vault->record(pending->seed)->locked);
}

TEST_F(ConfirmTest, ExpiredEnrollmentIsInvalidWithoutEvaluatingOrCounting) {
  Enrollment e = enroll();
  const std::string secret(e.secret_base32.view());
  advance_seconds(601);
  auto r = service->confirm_totp(caller, "default", "alice", code(secret));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->valid);
  EXPECT_EQ(vault->oracle_calls(), 0);
  EXPECT_EQ(store->failure_calls(), 0);
  EXPECT_EQ(service->user("default", "alice")->totp, TotpStatus::none);
}

TEST_F(ConfirmTest, BadFormatIsInvalidArgumentAndNotCounted) {
  Enrollment e = enroll();
  for (const char* bad : {"12345", "123456789", "12345678", " 12345", "abcdef", ""}) {
    auto r = service->confirm_totp(caller, "default", "alice", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << bad;
  }
  EXPECT_EQ(store->failure_calls(), 0);
  EXPECT_EQ(vault->oracle_calls(), 0);
}

TEST_F(ConfirmTest, NothingPendingIsNotFoundOrConflict) {
  EXPECT_EQ(service->confirm_totp(caller, "default", "alice", "123456").error().code,
            Errc::not_found);
  activate();
  EXPECT_EQ(service->confirm_totp(caller, "default", "alice", "123456").error().code,
            Errc::conflict);
}

TEST_F(ConfirmTest, VaultLockFailureLeavesTheEnrollmentPending) {
  Enrollment e = enroll();
  vault->fail(FakeSeedVault::Op::lock);
  auto r =
      service->confirm_totp(caller, "default", "alice", code(std::string(e.secret_base32.view())));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::hsm_unavailable);
  EXPECT_FALSE(credential(CredentialState::active));
}

TEST_F(ConfirmTest, WhileThrottledTheCodeIsNotEvaluated) {
  Enrollment e = enroll();
  const std::string secret(e.secret_base32.view());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(service->confirm_totp(caller, "default", "alice", wrong_code(secret)).ok());
  }
  const int oracle_calls = vault->oracle_calls();
  auto r = service->confirm_totp(caller, "default", "alice", code(secret));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::rate_limited);
  EXPECT_EQ(r.error().retry_after_seconds, 1);
  EXPECT_EQ(vault->oracle_calls(), oracle_calls);
}

}  // namespace
}  // namespace hsm2fa::testing
