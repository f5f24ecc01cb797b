#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "enroll_load.hpp"
#include "user_pool.hpp"

namespace hsm2fa::bench {
namespace {

std::vector<BenchUser> users_with_last_steps(std::initializer_list<std::int64_t> steps) {
  std::vector<BenchUser> out;
  for (std::int64_t s : steps) out.push_back(BenchUser{"u" + std::to_string(out.size()), {}, s});
  return out;
}

std::vector<std::int64_t> code_steps_of(UserPool& pool, StepNow now, std::size_t user) {
  std::vector<std::int64_t> out;
  while (auto pick = pool.take(now)) {
    if (pick->index == user) out.push_back(pick->code_step);
    pool.release(pick->index);
  }
  return out;
}

TEST(UserPool, WindowZeroGivesEachUserOneCodePerStepAfterItsLastStep) {
  UserPool pool(users_with_last_steps({9, 10, 11, 9}), 0);
  EXPECT_EQ(pool.codes_left({10, false}), 2u);  // users 0 and 3; 1 used step 10, 2 used step 11
  std::set<std::size_t> taken;
  while (auto pick = pool.take({10, false})) {
    EXPECT_EQ(pick->code_step, 10);
    taken.insert(pick->index);
    pool.release(pick->index);
  }
  EXPECT_EQ(taken, (std::set<std::size_t>{0, 3}));
  EXPECT_EQ(pool.codes_left({10, false}), 0u);
  EXPECT_EQ(pool.codes_left({11, false}), 3u);  // a new step frees everyone but user 2
}

TEST(UserPool, SpendsTheWindowOldestStepFirstAcrossAllUsers) {
  UserPool pool(users_with_last_steps({5, 5, 99}), 1);
  // Users 0 and 1 have steps 99, 100, 101 left; user 2 only 100 and 101.
  EXPECT_EQ(pool.codes_left({100, false}), 8u);
  std::vector<std::pair<std::size_t, std::int64_t>> order;
  while (auto pick = pool.take({100, false})) {
    order.emplace_back(pick->index, pick->code_step);
    pool.release(pick->index);
  }
  const std::vector<std::pair<std::size_t, std::int64_t>> expected{
      {0, 99}, {1, 99}, {0, 100}, {1, 100}, {2, 100}, {0, 101}, {1, 101}, {2, 101}};
  EXPECT_EQ(order, expected);
  EXPECT_EQ(pool.codes_left({100, false}), 0u);
  // The next step adds exactly one code per user: 102.
  EXPECT_EQ(pool.codes_left({101, false}), 3u);
  EXPECT_EQ(code_steps_of(pool, {101, false}, 2), (std::vector<std::int64_t>{102}));
}

TEST(UserPool, NearTheEndOfAStepTheOldestCodeIsSkipped) {
  UserPool pool(users_with_last_steps({5}), 1);
  EXPECT_EQ(pool.codes_left({100, true}), 2u);
  EXPECT_EQ(code_steps_of(pool, {100, true}, 0), (std::vector<std::int64_t>{100, 101}));
}

TEST(UserPool, ALentUserIsNotHandedToAnotherConnectionUntilReleased) {
  UserPool pool(users_with_last_steps({5, 5}), 1);
  auto first = pool.take({100, false});
  auto second = pool.take({100, false});
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->index, second->index);
  // Both users are lent, and only they have codes left: a third take waits for a release, and
  // then gets the released user's next code (none of its codes overtakes the one in flight).
  std::optional<Pick> third;
  std::thread waiter([&] { third = pool.take({100, false}); });
  pool.release(first->index);
  waiter.join();
  ASSERT_TRUE(third);
  EXPECT_EQ(third->index, first->index);
  EXPECT_EQ(third->code_step, 100);
}

TEST(UserPool, NothingLeftIsNotAWait) {
  UserPool pool(users_with_last_steps({101, 101}), 1);
  EXPECT_FALSE(pool.take({100, false}).has_value());
}

TEST(TotpCode, Rfc6238Sha1VectorsTruncatedToSixDigits) {
  const auto seed = SecretBytes::from_string("12345678901234567890");
  auto at59 = totp_code(seed, 59 / kPeriod);
  ASSERT_TRUE(at59.ok());
  EXPECT_EQ(*at59, "287082");  // RFC 6238 appendix B: 94287082
  auto later = totp_code(seed, 1111111109 / kPeriod);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(*later, "081804");  // 07081804
}

TEST(ExtractSecret, DecodesBase32AndRefusesGarbage) {
  const auto seed = extract_secret(
      R"({"state":"pending","secret":"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ","expires_at":"x"})");
  EXPECT_EQ(seed.view(), "12345678901234567890");
  EXPECT_TRUE(extract_secret(R"({"state":"pending"})").empty());
  EXPECT_TRUE(extract_secret(R"({"secret":"not base32!"})").empty());
}

}  // namespace
}  // namespace hsm2fa::bench
