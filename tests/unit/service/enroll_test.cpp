#include <string>

#include "service_fixture.hpp"

namespace hsm2fa::testing {
namespace {

using EnrollTest = ServiceTest;

TEST_F(EnrollTest, EnrollReturnsPairingCodeAndUriForPendingSeed) {
  Enrollment e = enroll();
  EXPECT_EQ(e.state, CredentialState::pending);
  EXPECT_EQ(e.expires_at, kStart + 600);
  EXPECT_EQ(e.secret_base32.size(), 32u);  // 20 bytes of SHA1 seed in unpadded base32
  const std::string uri(e.otpauth_uri.view());
  EXPECT_EQ(uri.rfind("otpauth://totp/hsm2fa:alice?", 0), 0u) << "label";
  EXPECT_NE(uri.find("secret=" + std::string(e.secret_base32.view())), std::string::npos);
  EXPECT_NE(uri.find("issuer=hsm2fa"), std::string::npos);
  EXPECT_NE(uri.find("algorithm=SHA1"), std::string::npos);

  auto pending = credential(CredentialState::pending);
  ASSERT_TRUE(pending);
  auto seed = vault->record(pending->seed);
  ASSERT_TRUE(seed);
  EXPECT_TRUE(seed->exportable);
  EXPECT_FALSE(seed->locked);
}

TEST_F(EnrollTest, OptionsAreHonouredAndTheAppCodeConfirms) {
  auto e = service->enroll_totp(caller, {.tenant = "default",
                                         .user = "bob",
                                         .algorithm = HashAlg::sha512,
                                         .digits = 8,
                                         .period = 60});
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->secret_base32.size(), 103u);  // 64 bytes
  const std::string uri(e->otpauth_uri.view());
  EXPECT_NE(uri.find("algorithm=SHA512"), std::string::npos);
  EXPECT_NE(uri.find("digits=8"), std::string::npos);
  EXPECT_NE(uri.find("period=60"), std::string::npos);
  const std::string c = reference_code(e->secret_base32.view(), HashAlg::sha512, 8, step(60));
  auto r = service->confirm_totp(caller, "default", "bob", c);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->valid);
}

TEST_F(EnrollTest, TenantIssuerNamesTheAccount) {
  Enrollment e = enroll("alice", "acme");
  EXPECT_EQ(std::string(e.otpauth_uri.view()).rfind("otpauth://totp/pro.dbflex.net:alice?", 0), 0u);
}

TEST_F(EnrollTest, BadOptionsAreInvalidAndGenerateNothing) {
  for (int digits : {0, 5, 7, 9}) {
    auto r = service->enroll_totp(caller, {.tenant = "default", .user = "a", .digits = digits});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << digits;
  }
  for (int period : {0, 14, 301, -30}) {
    auto r = service->enroll_totp(caller, {.tenant = "default", .user = "a", .period = period});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::invalid_argument) << period;
  }
  EXPECT_EQ(vault->generate_calls(), 0);
}

TEST_F(EnrollTest, EnrollAgainWhilePendingDestroysThePendingSeed) {
  enroll();
  auto first = credential(CredentialState::pending);
  ASSERT_TRUE(first);
  enroll();
  auto second = credential(CredentialState::pending);
  ASSERT_TRUE(second);
  EXPECT_NE(first->seed, second->seed);
  EXPECT_TRUE(vault->record(first->seed)->destroyed);
  EXPECT_EQ(vault->live_seeds(), 1u);
}

TEST_F(EnrollTest, EnrollWhileActiveIsConflictWithoutReplace) {
  activate();
  auto r = service->enroll_totp(caller, {.tenant = "default", .user = "alice"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::conflict);
  EXPECT_EQ(vault->live_seeds(), 1u);
}

TEST_F(EnrollTest, ReplaceKeepsOldSeedValidUntilTheNewOneIsConfirmed) {
  const std::string old_secret = activate();
  auto r = service->enroll_totp(caller, {.tenant = "default", .user = "alice", .replace = true});
  ASSERT_TRUE(r.ok()) << r.error().message;
  const std::string new_secret(r->secret_base32.view());

  EXPECT_TRUE(verify_ok(code(old_secret)).valid) << "old seed still works while pending";
  advance_seconds(30);
  auto old_active = credential(CredentialState::active);
  ASSERT_TRUE(old_active);
  auto confirmed = service->confirm_totp(caller, "default", "alice", code(new_secret));
  ASSERT_TRUE(confirmed.ok());
  EXPECT_TRUE(confirmed->valid);
  EXPECT_TRUE(vault->record(old_active->seed)->destroyed);

  advance_seconds(30);
  EXPECT_EQ(verify_ok(code(old_secret)).reason, VerifyReason::wrong_code);
  EXPECT_TRUE(verify_ok(code(new_secret, 1)).valid);
}

TEST_F(EnrollTest, PolicyNeverRefusesEnrollmentWithoutGenerating) {
  auto r = service->enroll_totp(caller, {.tenant = "hw", .user = "alice"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::export_locked);
  EXPECT_EQ(vault->generate_calls(), 0);
}

TEST_F(EnrollTest, PairingReshowsPendingEnrollment) {
  Enrollment e = enroll();
  auto p = service->pairing(caller, "default", "alice");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->state, CredentialState::pending);
  EXPECT_EQ(p->secret_base32.view(), e.secret_base32.view());
  EXPECT_EQ(p->otpauth_uri.view(), e.otpauth_uri.view());
  EXPECT_EQ(p->expires_at, e.expires_at);
}

TEST_F(EnrollTest, PairingAfterConfirmIsExportLockedByTheToken) {
  activate();
  auto p = service->pairing(caller, "default", "alice");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, Errc::export_locked);
  auto active = credential(CredentialState::active);
  ASSERT_TRUE(active);
  EXPECT_TRUE(vault->record(active->seed)->locked);
  EXPECT_EQ(vault->export_seed(active->seed).error().code, Errc::export_locked);
}

TEST_F(EnrollTest, PolicyAlwaysReshowsTheActiveSeed) {
  const std::string secret = activate("alice", "acme");
  auto p = service->pairing(caller, "acme", "alice");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->state, CredentialState::active);
  EXPECT_EQ(p->secret_base32.view(), secret);
  EXPECT_EQ(p->expires_at, 0);
  auto active = credential(CredentialState::active, "alice", "acme");
  EXPECT_FALSE(vault->record(active->seed)->locked);
}

TEST_F(EnrollTest, PairingWithNothingEnrolledOrExpiredIsNotFound) {
  EXPECT_EQ(service->pairing(caller, "default", "nobody").error().code, Errc::not_found);
  enroll();
  advance_seconds(601);
  EXPECT_EQ(service->pairing(caller, "default", "alice").error().code, Errc::not_found);
}

}  // namespace
}  // namespace hsm2fa::testing
