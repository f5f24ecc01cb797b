// Store conformance: the bulk 2FA switch and email codes (schema v2).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store_backends.hpp"

namespace hsm2fa::store::testing {
namespace {

class BulkAndEmailConformance : public StoreTest {
 protected:
  EmailCode code(std::string mac, std::int64_t issued_at) {
    return EmailCode{"t", "u", std::move(mac), issued_at, issued_at + 600, 0};
  }
  std::optional<EmailCode> live() {
    auto r = store_->email_code("t", "u");
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::nullopt;
  }
};

TEST_P(BulkAndEmailConformance, BulkSwitchChangesEveryUserDurably) {
  std::vector<std::string> users;
  for (int i = 0; i < 2000; ++i) users.push_back("user" + std::to_string(i));
  users.push_back("quote\"and\\backslash");
  ASSERT_TRUE(store_->set_two_factor_many("t", users, true, "", 0).ok());
  ASSERT_TRUE(
      store_->set_two_factor_many("t", {users.data(), 10}, false, "audit", 1800000000).ok());
  reopen();
  for (std::size_t i = 0; i < users.size(); ++i) {
    auto s = store_->user_state("t", users[i]);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->two_factor_enabled, i >= 10) << users[i];
    EXPECT_EQ(s->disabled_reason, i >= 10 ? "" : "audit");
    EXPECT_EQ(s->disabled_until, i >= 10 ? 0 : 1800000000);
  }
  EXPECT_FALSE(store_->user_state("other", "user1")->two_factor_enabled);
}

TEST_P(BulkAndEmailConformance, BulkSwitchRefusesAnEmptyIdAndChangesNothing) {
  const std::vector<std::string> users{"a", ""};
  auto st = store_->set_two_factor_many("t", users, true, "", 0);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, Errc::invalid_argument);
  EXPECT_FALSE(store_->user_state("t", "a")->two_factor_enabled);
}

TEST_P(BulkAndEmailConformance, OneLiveCodeWithCooldown) {
  EXPECT_FALSE(live());
  auto put = store_->put_email_code(code("aa", 1000), 60);
  ASSERT_TRUE(put.ok());
  EXPECT_FALSE(*put);
  auto again = store_->put_email_code(code("bb", 1059), 60);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(*again);
  EXPECT_EQ(**again, 1060);
  EXPECT_EQ(live()->mac, "aa");  // refused: the first code still stands

  ASSERT_TRUE(store_->put_email_code(code("cc", 1060), 60).ok());
  reopen();
  auto now = live();
  ASSERT_TRUE(now);
  EXPECT_EQ(now->mac, "cc");
  EXPECT_EQ(now->issued_at, 1060);
  EXPECT_EQ(now->expires_at, 1660);
  EXPECT_EQ(now->attempts, 0);
}

TEST_P(BulkAndEmailConformance, TakeIsOneUseAndResetsTheThrottle) {
  const ThrottlePolicy policy{5, std::chrono::milliseconds(1000), std::chrono::milliseconds(4000),
                              10, std::chrono::seconds(60)};
  ASSERT_TRUE(store_->record_failure("t", "u", policy, 0).ok());
  ASSERT_TRUE(store_->put_email_code(code("aa", 1000), 60).ok());
  auto wrong = store_->take_email_code("t", "u", "bb");
  ASSERT_TRUE(wrong.ok());
  EXPECT_FALSE(*wrong);
  EXPECT_EQ(store_->user_state("t", "u")->throttle.failures, 1);
  auto first = store_->take_email_code("t", "u", "aa");
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(*first);
  EXPECT_EQ(store_->user_state("t", "u")->throttle.failures, 0);
  auto second = store_->take_email_code("t", "u", "aa");
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(*second);
  EXPECT_FALSE(live());
}

TEST_P(BulkAndEmailConformance, AttemptsCountUpToTheLimitThenTheCodeIsGone) {
  ASSERT_TRUE(store_->put_email_code(code("aa", 1000), 60).ok());
  EXPECT_EQ(*store_->count_email_attempt("t", "u", "aa", 3), 1);
  EXPECT_EQ(*store_->count_email_attempt("t", "u", "other", 3), 0);
  EXPECT_EQ(*store_->count_email_attempt("t", "u", "aa", 3), 2);
  EXPECT_EQ(live()->attempts, 2);
  EXPECT_EQ(*store_->count_email_attempt("t", "u", "aa", 3), 3);
  EXPECT_FALSE(live());
  EXPECT_EQ(*store_->count_email_attempt("t", "u", "aa", 3), 0);
}

TEST_P(BulkAndEmailConformance, DeleteRemovesOnlyTheNamedCode) {
  ASSERT_TRUE(store_->put_email_code(code("aa", 1000), 0).ok());
  ASSERT_TRUE(store_->delete_email_code("t", "u", "zz").ok());
  EXPECT_TRUE(live());
  ASSERT_TRUE(store_->delete_email_code("t", "u", "aa").ok());
  EXPECT_FALSE(live());
  // With the code gone there is no cool-down left either.
  auto put = store_->put_email_code(code("bb", 1001), 60);
  ASSERT_TRUE(put.ok());
  EXPECT_FALSE(*put);
}

INSTANTIATE_TEST_SUITE_P(Backends, BulkAndEmailConformance, ::testing::ValuesIn(store_backends()),
                         backend_name);

}  // namespace
}  // namespace hsm2fa::store::testing
