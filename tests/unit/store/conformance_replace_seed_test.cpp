// Store conformance: replace_seed, the compare-and-set a KEK rotation stores each re-wrapped
// blob with. A concurrent change to the credential always wins over it.
#include <gtest/gtest.h>

#include "store_backends.hpp"

namespace hsm2fa::store::testing {
namespace {

class ReplaceSeedConformance : public StoreTest {
 protected:
  std::int64_t active(const std::string& user, const std::string& ref) {
    auto put = store_->put_pending_totp(pending_credential("t", user, "pending-" + user));
    EXPECT_TRUE(put.ok());
    EXPECT_TRUE(store_->activate_totp(put->id, SeedRef{ref}, 7).ok());
    return put->id;
  }
  SeedRef stored_ref(const std::string& user) {
    auto r = store_->totp_credentials("t", user);
    EXPECT_TRUE(r.ok());
    return r.ok() && r->size() == 1 ? r->front().seed : SeedRef{};
  }
};

TEST_P(ReplaceSeedConformance, ReplacesOnlyTheExpectedRef) {
  const std::int64_t id = active("u", "under-kek-1");
  auto lost = store_->replace_seed(id, SeedRef{"something-else"}, SeedRef{"under-kek-2"});
  ASSERT_TRUE(lost.ok()) << lost.error().message;
  EXPECT_FALSE(*lost);
  EXPECT_EQ(stored_ref("u"), SeedRef{"under-kek-1"});

  auto won = store_->replace_seed(id, SeedRef{"under-kek-1"}, SeedRef{"under-kek-2"});
  ASSERT_TRUE(won.ok()) << won.error().message;
  EXPECT_TRUE(*won);
  EXPECT_EQ(stored_ref("u"), SeedRef{"under-kek-2"});
  // Nothing else of the credential moves: the replay guard's step stays.
  EXPECT_EQ(store_->totp_credentials("t", "u")->front().last_step, 7);

  auto again = store_->replace_seed(id, SeedRef{"under-kek-1"}, SeedRef{"under-kek-3"});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_EQ(stored_ref("u"), SeedRef{"under-kek-2"});
}

TEST_P(ReplaceSeedConformance, ADeletedOrReEnrolledCredentialWins) {
  const std::int64_t deleted = active("gone", "old-gone");
  ASSERT_TRUE(store_->delete_totp("t", "gone").ok());
  auto r = store_->replace_seed(deleted, SeedRef{"old-gone"}, SeedRef{"new-gone"});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  EXPECT_TRUE(store_->totp_credentials("t", "gone")->empty());

  const std::int64_t first = active("again", "old-again");
  const std::int64_t second = active("again", "newer-again");  // re-enrolled and confirmed
  r = store_->replace_seed(first, SeedRef{"old-again"}, SeedRef{"rewrapped-again"});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  EXPECT_NE(first, second);
  EXPECT_EQ(stored_ref("again"), SeedRef{"newer-again"});
}

TEST_P(ReplaceSeedConformance, RefusesAnEmptyReplacement) {
  const std::int64_t id = active("u", "ref");
  auto r = store_->replace_seed(id, SeedRef{"ref"}, SeedRef{});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  EXPECT_EQ(stored_ref("u"), SeedRef{"ref"});
}

INSTANTIATE_TEST_SUITE_P(Backends, ReplaceSeedConformance, ::testing::ValuesIn(store_backends()),
                         backend_name);

}  // namespace
}  // namespace hsm2fa::store::testing
