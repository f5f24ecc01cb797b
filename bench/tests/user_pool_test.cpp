#include <gtest/gtest.h>

#include <set>

#include "enroll_load.hpp"
#include "user_pool.hpp"

namespace hsm2fa::bench {
namespace {

std::vector<BenchUser> users_with_last_steps(std::initializer_list<std::int64_t> steps) {
  std::vector<BenchUser> out;
  for (std::int64_t s : steps) out.push_back(BenchUser{"u" + std::to_string(out.size()), {}, s});
  return out;
}

TEST(UserPool, EachUserOncePerStepNeverAtOrBeforeItsLastStep) {
  UserPool pool(users_with_last_steps({9, 10, 11, 9}));
  EXPECT_EQ(pool.fresh_left(10), 2u);  // users 0 and 3; 1 used step 10, 2 used step 11
  std::set<std::size_t> taken;
  while (auto i = pool.take(10)) taken.insert(*i);
  EXPECT_EQ(taken, (std::set<std::size_t>{0, 3}));
  EXPECT_EQ(pool.fresh_left(10), 0u);
  EXPECT_EQ(pool.fresh_left(11), 3u);  // a new step frees everyone but user 2
  EXPECT_EQ(pool.take(11), std::optional<std::size_t>(0));
  EXPECT_EQ(pool.fresh_left(11), 2u);
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
