// Opening a token: login, stats, liveness, and the failure paths with the errors they must give.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <fstream>

#include "hsm2fa/hsm/fault_hook.hpp"
#include "support/raw_token.hpp"
#include "support/softhsm_token.hpp"

namespace hsm2fa::hsm {
namespace {

using testing::ThrowAwayToken;

// Counts calls of one function; optionally fails the next `fail` of them with `rv`.
struct CallCounter {
  explicit CallCounter(std::string function, unsigned long rv = 0, int fail = 0) {
    set_fault_hook([this, function, rv](std::string_view name) -> std::optional<unsigned long> {
      if (name != function) return std::nullopt;
      ++count;
      if (failures_left.load() > 0) {
        --failures_left;
        return rv;
      }
      return std::nullopt;
    });
    failures_left = fail;
  }
  ~CallCounter() { set_fault_hook(nullptr); }
  std::atomic<int> count{0};
  std::atomic<int> failures_left{0};
};

TEST(OpenToken, LogsInAndReportsHealth) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto token = open_token(ThrowAwayToken::get().config(Custody::wrapped));
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_TRUE((*token)->check().ok());
  auto stats = (*token)->stats();
  EXPECT_TRUE(stats.up);
  EXPECT_GT(stats.calls, 0u);
  EXPECT_EQ(stats.sessions_in_use, 0u);
}

TEST(OpenToken, WrongPinIsOneLoginAndAClearError) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto config = ThrowAwayToken::get().config(Custody::wrapped);
  ThrowAwayToken::get();  // the token exists before we count
  config.pin_file = ThrowAwayToken::get().dir / "wrong.pin";
  std::ofstream(config.pin_file) << "not-the-pin\n";
  CallCounter logins("C_Login");
  auto token = open_token(config);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code, Errc::pin_incorrect) << token.error().message;
  EXPECT_NE(token.error().message.find("CKR_PIN_INCORRECT"), std::string::npos);
  EXPECT_EQ(logins.count.load(), 1);
}

TEST(OpenToken, LockedPinAnswerIsPinLocked) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto config = ThrowAwayToken::get().config(Custody::wrapped);
  CallCounter logins("C_Login", kCkrPinLocked, 1);
  auto token = open_token(config);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code, Errc::pin_locked) << token.error().message;
  EXPECT_EQ(logins.count.load(), 1);
}

TEST(OpenToken, MissingModuleIsAConfigErrorNamingIt) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto config = ThrowAwayToken::get().config(Custody::wrapped);
  config.module_path = "/nonexistent/libpkcs11-nothing.so";
  auto token = open_token(config);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code, Errc::config);
  EXPECT_NE(token.error().message.find("/nonexistent/libpkcs11-nothing.so"), std::string::npos)
      << token.error().message;
}

TEST(OpenToken, UnmatchedTokenIsAConfigErrorNamingTheUri) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto config = ThrowAwayToken::get().config(Custody::wrapped);
  config.token_uri = "pkcs11:token=no-such-token";
  auto token = open_token(config);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code, Errc::config);
  EXPECT_NE(token.error().message.find("no-such-token"), std::string::npos)
      << token.error().message;
}

TEST(OpenToken, MissingPinFileIsAConfigError) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto config = ThrowAwayToken::get().config(Custody::wrapped);
  config.pin_file = ThrowAwayToken::get().dir / "absent.pin";
  auto token = open_token(config);
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(token.error().code, Errc::config);
  EXPECT_NE(token.error().message.find("absent.pin"), std::string::npos);
}

TEST(OpenToken, DeviceErrorDropsTheSessionAndTheNextCallWorks) {
  HSM2FA_REQUIRE_SOFTHSM();
  for (Custody custody : {Custody::token, Custody::wrapped}) {
    auto opened = testing::open_provisioned(ThrowAwayToken::get().config(custody));
    ASSERT_TRUE(opened.vault);
    auto ref = opened.vault->generate(HashAlg::sha1, false);
    ASSERT_TRUE(ref.ok()) << ref.error().message;
    const std::uint64_t counters[] = {1, 2, 3};
    const auto before = opened.token->stats();
    {
      // In wrapped mode the first C_SignInit is the ref's MAC check inside oracle().
      CallCounter fault("C_SignInit", kCkrDeviceRemoved, 1);
      auto oracle = opened.vault->oracle(*ref);
      Error error;
      if (!oracle) {
        error = oracle.error();
      } else {
        auto macs = (*oracle)->mac_counters(counters);
        ASSERT_FALSE(macs.ok());
        error = macs.error();
      }
      EXPECT_EQ(error.code, Errc::hsm_unavailable);
      EXPECT_NE(error.message.find("CKR_DEVICE_REMOVED"), std::string::npos) << error.message;
      EXPECT_EQ(fault.count.load(), 1);
    }
    auto stats = opened.token->stats();
    EXPECT_EQ(stats.errors_by_rv["CKR_DEVICE_REMOVED"], 1u);
    EXPECT_EQ(stats.sessions_in_use, 0u);
    EXPECT_EQ(stats.sessions_open + 1, before.sessions_open) << "the broken session was closed";
    auto oracle = opened.vault->oracle(*ref);
    ASSERT_TRUE(oracle.ok()) << oracle.error().message;
    auto macs = (*oracle)->mac_counters(counters);
    ASSERT_TRUE(macs.ok()) << macs.error().message;
    EXPECT_EQ(macs->size(), 3u);
  }
}

TEST(OpenToken, LostLoginIsRestoredByCheckAndVaultsKeepWorking) {
  HSM2FA_REQUIRE_SOFTHSM();
  for (Custody custody : {Custody::token, Custody::wrapped}) {
    auto opened = testing::open_provisioned(ThrowAwayToken::get().config(custody));
    ASSERT_TRUE(opened.vault);
    auto ref =
        opened.vault->import(HashAlg::sha1, testing::bytes_of("12345678901234567890"), false);
    ASSERT_TRUE(ref.ok()) << ref.error().message;
    std::atomic<int> logins{0}, probes{0};
    set_fault_hook([&](std::string_view name) -> std::optional<unsigned long> {
      if (name == "C_Login") ++logins;
      if (name == "C_GetSessionInfo" && probes++ == 0) return kCkrSessionHandleInvalid;
      return std::nullopt;
    });
    auto status = opened.token->check();
    set_fault_hook(nullptr);
    EXPECT_TRUE(status.ok()) << status.error().message;
    EXPECT_EQ(logins.load(), 1);
    EXPECT_TRUE(opened.token->check().ok());
    auto oracle = opened.vault->oracle(*ref);
    ASSERT_TRUE(oracle.ok()) << oracle.error().message;
    const std::uint64_t counters[] = {1};
    auto macs = (*oracle)->mac_counters(counters);
    ASSERT_TRUE(macs.ok()) << macs.error().message;
    EXPECT_EQ(testing::truncate(macs->front(), 6), 287082u);
  }
}

// Someone logs the application out behind the Token's back: the failing call marks the login
// suspect, the next one probes it and logs in again, exactly once.
TEST(OpenToken, LogoutBehindItsBackIsRecoveredWithOneLogin) {
  HSM2FA_REQUIRE_SOFTHSM();
  for (Custody custody : {Custody::token, Custody::wrapped}) {
    auto opened = testing::open_provisioned(ThrowAwayToken::get().config(custody));
    ASSERT_TRUE(opened.vault);
    auto ref =
        opened.vault->import(HashAlg::sha1, testing::bytes_of("12345678901234567890"), false);
    ASSERT_TRUE(ref.ok()) << ref.error().message;
    {
      auto lease = testing::impl_of(opened.token).lease();
      ASSERT_TRUE(lease.ok());
      ASSERT_EQ(lease->raw(HSM2FA_P11(C_Logout)), CKR_OK);
    }
    CallCounter logins("C_Login");
    const std::uint64_t counters[] = {1};
    auto attempt = [&]() -> Result<std::vector<Mac>> {
      auto oracle = opened.vault->oracle(*ref);
      if (!oracle) return std::move(oracle).error();
      return (*oracle)->mac_counters(counters);
    };
    auto first = attempt();
    EXPECT_FALSE(first.ok()) << "the stale login cannot compute";
    auto second = attempt();
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_EQ(testing::truncate(second->front(), 6), 287082u);
    EXPECT_EQ(logins.count.load(), 1);
  }
}

}  // namespace
}  // namespace hsm2fa::hsm

namespace hsm2fa::hsm {
namespace {

TEST(TokenRandom, ComesFromTheTokenAndAFailureLeavesNothingUsable) {
  HSM2FA_REQUIRE_SOFTHSM();
  auto token = open_token(ThrowAwayToken::get().config(Custody::wrapped));
  ASSERT_TRUE(token.ok()) << token.error().message;
  std::array<std::uint8_t, 32> a{}, b{};
  {
    CallCounter calls("C_GenerateRandom");
    ASSERT_TRUE(random_bytes(**token, a).ok());
    ASSERT_TRUE(random_bytes(**token, b).ok());
    EXPECT_EQ(calls.count.load(), 2) << "each fill is one C_GenerateRandom in the token";
  }
  EXPECT_NE(a, b);
  EXPECT_NE(a, decltype(a){});
  CallCounter fault("C_GenerateRandom", kCkrDeviceRemoved, 1);
  auto failed = random_bytes(**token, a);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, Errc::hsm_unavailable);
  EXPECT_EQ(a, decltype(a){}) << "a failed fill is zeroed, never half random";
}

}  // namespace
}  // namespace hsm2fa::hsm
