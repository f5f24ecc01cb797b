// Store conformance: push devices and challenges (schema v3).
#include <gtest/gtest.h>

#include "store_backends.hpp"

namespace hsm2fa::store::testing {
namespace {

class PushConformance : public StoreTest {
 protected:
  static PushChallenge challenge(std::string id, std::int64_t created_at) {
    PushChallenge c;
    c.id = std::move(id);
    c.tenant = "t";
    c.user = "u";
    c.origin = "pro.example.net";
    c.ip = "192.0.2.1";
    c.user_agent = "Mozilla/5.0";
    c.nonce = "00112233445566778899aabbccddeeff";
    c.number = 47;
    c.numbers = {12, 47, 83};
    c.created_at = created_at;
    c.expires_at = created_at + 120;
    return c;
  }
};

TEST_P(PushConformance, DevicesRoundTripPerUser) {
  const PushDevice phone{"d1", "t", "u", "Pixel", "-----BEGIN PUBLIC KEY-----\n...", 100};
  ASSERT_TRUE(store_->add_device(phone).ok());
  auto again = store_->add_device(phone);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::conflict);
  ASSERT_TRUE(store_->add_device({"d2", "t", "u", "iPad", "pem", 101}).ok());
  ASSERT_TRUE(store_->add_device({"d3", "t", "other", "x", "pem", 102}).ok());
  reopen();
  auto list = store_->devices("t", "u");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, "d1");
  EXPECT_EQ((*list)[0].name, "Pixel");
  EXPECT_EQ((*list)[0].public_key_pem, phone.public_key_pem);
  auto one = store_->device("d3");
  ASSERT_TRUE(one.ok() && *one);
  EXPECT_EQ((*one)->user, "other");
  EXPECT_FALSE(*store_->delete_device("t", "u", "d3"));  // another user's device
  EXPECT_TRUE(*store_->delete_device("t", "u", "d1"));
  EXPECT_FALSE(*store_->delete_device("t", "u", "d1"));
  EXPECT_EQ(store_->devices("t", "u")->size(), 1u);
}

TEST_P(PushConformance, ChallengesRoundTripAndAreRateLimited) {
  for (int i = 0; i < 3; ++i) {
    auto put = store_->add_challenge(challenge("c" + std::to_string(i), 1000 + i), 3, 990, 60);
    ASSERT_TRUE(put.ok());
    EXPECT_FALSE(*put);
  }
  auto limited = store_->add_challenge(challenge("c9", 1010), 3, 1010 - 60, 60);
  ASSERT_TRUE(limited.ok());
  ASSERT_TRUE(*limited);
  EXPECT_EQ(**limited, 1060);  // when the oldest leaves the window
  EXPECT_FALSE(*store_->challenge("c9"));
  // Outside the window the older ones no longer count.
  EXPECT_FALSE(store_->add_challenge(challenge("c10", 1100), 3, 1100 - 60, 60).value());

  reopen();
  auto c = store_->challenge("c1");
  ASSERT_TRUE(c.ok() && *c);
  EXPECT_EQ((*c)->origin, "pro.example.net");
  EXPECT_EQ((*c)->user_agent, "Mozilla/5.0");
  EXPECT_EQ((*c)->nonce, "00112233445566778899aabbccddeeff");
  EXPECT_EQ((*c)->number, 47);
  EXPECT_EQ((*c)->numbers, (std::vector<int>{12, 47, 83}));
  EXPECT_EQ((*c)->expires_at, 1121);
  EXPECT_EQ((*c)->state, ChallengeState::pending);

  auto pending = store_->pending_challenges("t", "u", 1120);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 3u);  // c0 expired at 1120; c1, c2, c10 live
  EXPECT_EQ((*pending)[0].id, "c1");
}

TEST_P(PushConformance, AChallengeIsAnsweredOnceAndNotAfterExpiry) {
  ASSERT_TRUE(store_->add_challenge(challenge("c", 1000), 5, 0, 60).ok());
  EXPECT_FALSE(*store_->answer_challenge("c", ChallengeState::approved, "push", "d", 1120));
  EXPECT_TRUE(*store_->answer_challenge("c", ChallengeState::approved, "push", "d", 1119));
  EXPECT_FALSE(*store_->answer_challenge("c", ChallengeState::denied, "push", "d", 1119));
  auto c = store_->challenge("c");
  EXPECT_EQ((*c)->state, ChallengeState::approved);
  EXPECT_EQ((*c)->method, "push");
  EXPECT_EQ((*c)->device_id, "d");
  EXPECT_FALSE(*store_->answer_challenge("missing", ChallengeState::denied, "push", "d", 0));
  EXPECT_TRUE(store_->pending_challenges("t", "u", 1000)->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, PushConformance, ::testing::ValuesIn(store_backends()),
                         backend_name);

}  // namespace
}  // namespace hsm2fa::store::testing
