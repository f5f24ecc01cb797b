// The fault module in front of a throw-away SoftHSM2 token: pass-through, each rule option,
// run-time changes of the control file, and the stats file.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/shim_token.hpp"

namespace hsm2fa::fault::testing {
namespace {

class FaultShimTest : public ::testing::Test {
 protected:
  void SetUp() override { open({}); }

  void open(const ShimToken::Options& options) {
    if (!softhsm_available()) GTEST_SKIP() << "SoftHSM2 is not installed at " << kSoftHsmModule;
    token_.reset();
    std::string error;
    token_ = ShimToken::open(options, error);
    ASSERT_NE(token_, nullptr) << error;
  }

  CK_RV get_info() const {
    CK_INFO info{};
    return token_->p11().C_GetInfo(&info);
  }

  // The C_SignInit result of each of `calls` HMACs; successful ones are completed with C_Sign.
  std::vector<CK_RV> sign_init_results(int calls) const {
    CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
    EXPECT_EQ(token_->generate_hmac_key(key), CKR_OK);
    std::vector<CK_RV> results;
    for (int i = 0; i < calls; ++i) {
      std::vector<unsigned char> mac;
      CK_RV sign_rv = CKR_GENERAL_ERROR;
      const CK_RV init_rv = token_->sign(key, "counter!", mac, sign_rv);
      if (init_rv == CKR_OK) {
        EXPECT_EQ(sign_rv, CKR_OK) << "call " << i + 1;
      }
      results.push_back(init_rv);
    }
    return results;
  }

  std::unique_ptr<ShimToken> token_;
};

TEST_F(FaultShimTest, PassThroughHmacEqualsOpenSsl) {
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;
  ASSERT_EQ(token_->generate_hmac_key(key), CKR_OK);
  std::vector<unsigned char> value;
  ASSERT_EQ(token_->key_value(key, value), CKR_OK);
  ASSERT_EQ(value.size(), 20u);

  const std::string counter("\x00\x00\x00\x00\x03\x5a\x7c\x11", 8);
  std::vector<unsigned char> mac;
  CK_RV sign_rv = CKR_GENERAL_ERROR;
  ASSERT_EQ(token_->sign(key, counter, mac, sign_rv), CKR_OK);
  ASSERT_EQ(sign_rv, CKR_OK);
  EXPECT_EQ(mac.size(), 20u);
  EXPECT_EQ(mac, openssl_hmac_sha1(value, counter));
  EXPECT_EQ(token_->stats()["C_SignInit"], (CallCount{1, 0}));
}

TEST_F(FaultShimTest, NthSignInitFailsAndOnlyThatOne) {
  token_->set_rules("# the third C_SignInit only\nC_SignInit CKR_DEVICE_REMOVED after=2 count=1\n");
  EXPECT_EQ(sign_init_results(6),
            (std::vector<CK_RV>{CKR_OK, CKR_OK, CKR_DEVICE_REMOVED, CKR_OK, CKR_OK, CKR_OK}));
  EXPECT_EQ(token_->stats()["C_SignInit"], (CallCount{6, 1}));
  EXPECT_EQ(token_->stats()["C_Sign"], (CallCount{5, 0}));
}

TEST_F(FaultShimTest, EveryFaultsEachNthCall) {
  token_->set_rules("C_SignInit CKR_DEVICE_ERROR every=3\n");
  EXPECT_EQ(sign_init_results(7), (std::vector<CK_RV>{CKR_OK, CKR_OK, CKR_DEVICE_ERROR, CKR_OK,
                                                      CKR_OK, CKR_DEVICE_ERROR, CKR_OK}));
}

TEST_F(FaultShimTest, CountLimitsTheFaults) {
  token_->set_rules("C_SignInit CKR_SESSION_HANDLE_INVALID count=2\n");
  EXPECT_EQ(sign_init_results(4), (std::vector<CK_RV>{CKR_SESSION_HANDLE_INVALID,
                                                      CKR_SESSION_HANDLE_INVALID, CKR_OK, CKR_OK}));
}

TEST_F(FaultShimTest, AfterSkipsTheFirstCalls) {
  token_->set_rules("C_GetInfo CKR_TOKEN_NOT_PRESENT after=3\n");
  std::vector<CK_RV> results;
  for (int i = 0; i < 5; ++i) results.push_back(get_info());
  EXPECT_EQ(results, (std::vector<CK_RV>{CKR_OK, CKR_OK, CKR_OK, CKR_TOKEN_NOT_PRESENT,
                                         CKR_TOKEN_NOT_PRESENT}));
}

TEST_F(FaultShimTest, FractionFaultsARandomShare) {
  token_->set_rules("C_GetInfo CKR_GENERAL_ERROR fraction=0.25\n");
  int faults = 0;
  constexpr int kCalls = 400;
  for (int i = 0; i < kCalls; ++i) {
    const CK_RV rv = get_info();
    ASSERT_TRUE(rv == CKR_OK || rv == CKR_GENERAL_ERROR) << rv;
    faults += rv == CKR_GENERAL_ERROR;
  }
  // Expected 100, standard deviation about 8.7: the bounds are more than 6 deviations away.
  EXPECT_GT(faults, 40);
  EXPECT_LT(faults, 160);
  EXPECT_EQ(token_->stats()["C_GetInfo"], (CallCount{kCalls, static_cast<std::uint64_t>(faults)}));
}

TEST_F(FaultShimTest, StallDelaysThenCallsThrough) {
  token_->set_rules("C_GetInfo stall ms=150 count=1\n");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(get_info(), CKR_OK);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
  EXPECT_EQ(get_info(), CKR_OK);
  EXPECT_EQ(token_->stats()["C_GetInfo"], (CallCount{2, 1}));
}

TEST_F(FaultShimTest, WildcardMatchesEveryFunction) {
  token_->set_rules("* CKR_DEVICE_REMOVED\n");
  CK_SESSION_INFO session{};
  EXPECT_EQ(get_info(), CKR_DEVICE_REMOVED);
  EXPECT_EQ(token_->p11().C_GetSessionInfo(token_->session(), &session), CKR_DEVICE_REMOVED);
  token_->remove_rules();
  EXPECT_EQ(token_->p11().C_GetSessionInfo(token_->session(), &session), CKR_OK);
  EXPECT_EQ(session.state, static_cast<CK_STATE>(CKS_RW_USER_FUNCTIONS));
}

TEST_F(FaultShimTest, ControlFileChangesTakeEffectAtRunTime) {
  EXPECT_EQ(get_info(), CKR_OK);
  token_->set_rules("C_GetInfo CKR_DEVICE_ERROR\n");
  EXPECT_EQ(get_info(), CKR_DEVICE_ERROR);
  EXPECT_EQ(get_info(), CKR_DEVICE_ERROR);
  token_->set_rules("C_GetInfo CKR_PIN_LOCKED count=1\n");  // replacing restarts the counters
  EXPECT_EQ(get_info(), CKR_PIN_LOCKED);
  EXPECT_EQ(get_info(), CKR_OK);
  token_->set_rules("C_GetInfo CKR_DEVICE_ERROR\n");
  token_->set_rules("");  // an empty file passes everything through
  EXPECT_EQ(get_info(), CKR_OK);
  token_->set_rules("C_GetInfo CKR_USER_NOT_LOGGED_IN\n");
  token_->remove_rules();  // so does a missing one
  EXPECT_EQ(get_info(), CKR_OK);
}

TEST_F(FaultShimTest, FirstMatchingRuleDecides) {
  token_->set_rules(
      "C_GetInfo CKR_SESSION_CLOSED count=1\n"
      "* CKR_DEVICE_ERROR after=1 count=1   # sees every call, fires on the second\n");
  EXPECT_EQ(get_info(), CKR_SESSION_CLOSED);
  EXPECT_EQ(get_info(), CKR_DEVICE_ERROR);
  EXPECT_EQ(get_info(), CKR_OK);
}

TEST_F(FaultShimTest, StatsCountLoginsExactlyDespiteALongInterval) {
  open({.stats_interval_ms = "3600000"});                    // only forced writes can show up
  EXPECT_EQ(token_->stats()["C_Login"], (CallCount{2, 0}));  // SO and user during setup
  EXPECT_EQ(get_info(), CKR_OK);  // counted, but not a reason to rewrite the file
  EXPECT_EQ(token_->stats().count("C_GetInfo"), 0u);

  token_->set_rules("C_Login CKR_PIN_INCORRECT count=1\n");
  auto& p11 = token_->p11();
  auto* pin = reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(kUserPin.data()));
  ASSERT_EQ(p11.C_Logout(token_->session()), CKR_OK);
  EXPECT_EQ(p11.C_Login(token_->session(), CKU_USER, pin, kUserPin.size()), CKR_PIN_INCORRECT);
  EXPECT_EQ(p11.C_Login(token_->session(), CKU_USER, pin, kUserPin.size()), CKR_OK);

  const auto stats = token_->stats();
  EXPECT_EQ(stats.at("C_Login"), (CallCount{4, 1}));
  EXPECT_EQ(stats.at("C_Logout"), (CallCount{2, 0}));
  EXPECT_EQ(stats.at("C_GetInfo"), (CallCount{1, 0}));  // caught up by the forced writes
  EXPECT_EQ(stats.at("C_InitToken"), (CallCount{1, 0}));
}

TEST_F(FaultShimTest, ConcurrentCallersShareOneCount) {
  token_->set_rules("C_GetInfo CKR_DEVICE_ERROR every=10\n");
  constexpr int kThreads = 4;
  constexpr int kCallsEach = 250;
  std::atomic<int> faults{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCallsEach; ++i) faults += get_info() == CKR_DEVICE_ERROR;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(faults.load(), kThreads * kCallsEach / 10);
  EXPECT_EQ(token_->stats()["C_GetInfo"], (CallCount{kThreads * kCallsEach, 100}));
}

}  // namespace
}  // namespace hsm2fa::fault::testing
