// Store conformance: TOTP credentials and the replay guard.
#include <gtest/gtest.h>

#include <algorithm>

#include "store_backends.hpp"

namespace hsm2fa::store::testing {
namespace {

class TotpConformance : public StoreTest {
 protected:
  // An active credential for (tenant, user) whose confirmation used `step`.
  std::int64_t active(const std::string& tenant, const std::string& user, std::int64_t step) {
    auto put = store_->put_pending_totp(pending_credential(tenant, user, "pending-" + user));
    EXPECT_TRUE(put.ok());
    auto activated = store_->activate_totp(put->id, SeedRef{"locked-" + user}, step);
    EXPECT_TRUE(activated.ok());
    return put->id;
  }
  std::vector<TotpCredential> list(std::string_view tenant, std::string_view user) {
    auto r = store_->totp_credentials(tenant, user);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::vector<TotpCredential>{};
  }
};

TEST_P(TotpConformance, FreshStoreIsEmptyAndReachable) {
  EXPECT_TRUE(store_->ping().ok());
  EXPECT_TRUE(list("default", "alice").empty());
}

TEST_P(TotpConformance, PutPendingStoresEveryField) {
  TotpCredential c = pending_credential("acme", "alice@example.com", "ref-1");
  c.alg = HashAlg::sha512;
  c.digits = 8;
  c.period = 60;
  auto put = store_->put_pending_totp(c);
  ASSERT_TRUE(put.ok()) << put.error().message;
  EXPECT_GT(put->id, 0);
  EXPECT_FALSE(put->replaced.has_value());

  const auto stored = list("acme", "alice@example.com");
  ASSERT_EQ(stored.size(), 1u);
  const TotpCredential& s = stored[0];
  EXPECT_EQ(s.id, put->id);
  EXPECT_EQ(s.tenant, "acme");
  EXPECT_EQ(s.user, "alice@example.com");
  EXPECT_EQ(s.state, CredentialState::pending);
  EXPECT_EQ(s.seed, SeedRef{"ref-1"});
  EXPECT_EQ(s.alg, HashAlg::sha512);
  EXPECT_EQ(s.digits, 8);
  EXPECT_EQ(s.period, 60);
  EXPECT_EQ(s.last_step, -1);
  EXPECT_EQ(s.created_at, 1700000000);
  EXPECT_EQ(s.expires_at, 1700000600);
}

TEST_P(TotpConformance, PutPendingReplacesThePendingOne) {
  auto first = store_->put_pending_totp(pending_credential("t", "u", "ref-1"));
  ASSERT_TRUE(first.ok());
  auto second = store_->put_pending_totp(pending_credential("t", "u", "ref-2"));
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->id, first->id);
  ASSERT_TRUE(second->replaced.has_value());
  EXPECT_EQ(*second->replaced, SeedRef{"ref-1"});
  const auto stored = list("t", "u");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].seed, SeedRef{"ref-2"});
}

TEST_P(TotpConformance, PutPendingRefusesActiveStateOrMissingFields) {
  TotpCredential active_state = pending_credential("t", "u", "ref");
  active_state.state = CredentialState::active;
  for (const TotpCredential& bad :
       {active_state, pending_credential("t", "u", ""), pending_credential("", "u", "ref"),
        pending_credential("t", "", "ref")}) {
    auto put = store_->put_pending_totp(bad);
    ASSERT_FALSE(put.ok());
    EXPECT_EQ(put.error().code, Errc::invalid_argument);
  }
  EXPECT_TRUE(list("t", "u").empty());
}

TEST_P(TotpConformance, ActivateTurnsPendingIntoActiveWithTheLockedSeed) {
  auto put = store_->put_pending_totp(pending_credential("t", "u", "exportable"));
  ASSERT_TRUE(put.ok());
  auto previous = store_->activate_totp(put->id, SeedRef{"locked"}, 1234);
  ASSERT_TRUE(previous.ok()) << previous.error().message;
  EXPECT_FALSE(previous->has_value());
  const auto stored = list("t", "u");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].id, put->id);
  EXPECT_EQ(stored[0].state, CredentialState::active);
  EXPECT_EQ(stored[0].seed, SeedRef{"locked"});
  EXPECT_EQ(stored[0].last_step, 1234);  // the confirmation code cannot be replayed
}

TEST_P(TotpConformance, ReEnrollKeepsTheActiveUntilTheNewOneIsConfirmed) {
  active("t", "u", 100);
  auto put = store_->put_pending_totp(pending_credential("t", "u", "new-pending"));
  ASSERT_TRUE(put.ok());
  EXPECT_FALSE(put->replaced.has_value());  // only a pending seed is ever replaced here
  auto both = list("t", "u");
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(std::count_if(both.begin(), both.end(),
                          [](const auto& c) { return c.state == CredentialState::active; }),
            1);

  auto previous = store_->activate_totp(put->id, SeedRef{"new-locked"}, 200);
  ASSERT_TRUE(previous.ok());
  ASSERT_TRUE(previous->has_value());
  EXPECT_EQ(**previous, SeedRef{"locked-u"});
  const auto stored = list("t", "u");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].state, CredentialState::active);
  EXPECT_EQ(stored[0].seed, SeedRef{"new-locked"});
  EXPECT_EQ(stored[0].last_step, 200);
}

TEST_P(TotpConformance, ActivateRefusesAnythingButAPendingId) {
  const std::int64_t active_id = active("t", "u", 100);
  for (std::int64_t id : {active_id, active_id + 1000, std::int64_t{0}}) {
    auto r = store_->activate_totp(id, SeedRef{"x"}, 5);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::conflict);
  }
  const auto stored = list("t", "u");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].seed, SeedRef{"locked-u"});
  EXPECT_EQ(stored[0].last_step, 100);
}

TEST_P(TotpConformance, DeleteReturnsEverySeedOfThatUserOnly) {
  active("t", "u", 1);
  ASSERT_TRUE(store_->put_pending_totp(pending_credential("t", "u", "second")).ok());
  active("t", "other", 1);
  active("t2", "u", 1);

  auto deleted = store_->delete_totp("t", "u");
  ASSERT_TRUE(deleted.ok());
  std::vector<std::string> refs;
  for (const auto& ref : *deleted) refs.push_back(ref.encoded);
  std::sort(refs.begin(), refs.end());
  EXPECT_EQ(refs, (std::vector<std::string>{"locked-u", "second"}));
  EXPECT_TRUE(list("t", "u").empty());
  EXPECT_EQ(list("t", "other").size(), 1u);
  EXPECT_EQ(list("t2", "u").size(), 1u);

  auto again = store_->delete_totp("t", "u");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
}

TEST_P(TotpConformance, AcceptedStepsOnlyMoveForward) {
  const std::int64_t id = active("t", "u", 100);
  const std::pair<std::int64_t, bool> attempts[] = {
      {100, false}, {99, false}, {101, true}, {101, false}, {105, true}, {103, false}, {0, false}};
  for (const auto& [step, expected] : attempts) {
    auto r = store_->accept_totp_step(id, "t", "u", step);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, expected) << "step " << step;
  }
  EXPECT_EQ(list("t", "u").at(0).last_step, 105);
}

TEST_P(TotpConformance, AcceptStepNeedsTheCredentialsOwner) {
  const std::int64_t id = active("t", "u", 100);
  for (const auto& [tenant, user] :
       {std::pair{"t", "someone"}, std::pair{"t2", "u"}, std::pair{"", ""}}) {
    auto r = store_->accept_totp_step(id, tenant, user, 101);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::not_found);
  }
  auto unknown = store_->accept_totp_step(id + 1000, "t", "u", 101);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, Errc::not_found);
  EXPECT_EQ(list("t", "u").at(0).last_step, 100);
}

TEST_P(TotpConformance, CredentialsAndStepsSurviveReopen) {
  const std::int64_t id = active("t", "u", 100);
  ASSERT_TRUE(store_->accept_totp_step(id, "t", "u", 107).value());
  ASSERT_TRUE(store_->put_pending_totp(pending_credential("t", "u", "later")).ok());
  const auto before = list("t", "u");

  reopen();
  const auto after = list("t", "u");
  ASSERT_EQ(after.size(), before.size());
  for (std::size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].id, before[i].id);
    EXPECT_EQ(after[i].state, before[i].state);
    EXPECT_EQ(after[i].seed, before[i].seed);
    EXPECT_EQ(after[i].last_step, before[i].last_step);
  }
  auto replay = store_->accept_totp_step(id, "t", "u", 107);
  ASSERT_TRUE(replay.ok());
  EXPECT_FALSE(*replay);  // a restart does not reopen an accepted step
}

TEST_P(TotpConformance, FullScanPagesEveryTenantByIdOnce) {
  const std::int64_t a = active("t1", "u1", 5);
  ASSERT_TRUE(store_->put_pending_totp(pending_credential("t2", "u2", "p2")).ok());
  ASSERT_TRUE(store_->put_pending_totp(pending_credential("t1", "u3", "p3")).ok());
  std::vector<TotpCredential> seen;
  std::int64_t after = 0;
  for (;;) {
    auto page = store_->totp_credentials_after(after, 2);
    ASSERT_TRUE(page.ok()) << page.error().message;
    ASSERT_LE(page->size(), 2u);
    if (page->empty()) break;
    for (auto& c : *page) {
      EXPECT_GT(c.id, after);
      after = c.id;
      seen.push_back(std::move(c));
    }
  }
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].id, a);
  EXPECT_EQ(seen[0].state, CredentialState::active);
  EXPECT_EQ(seen[0].seed, SeedRef{"locked-u1"});
  EXPECT_EQ(seen[1].tenant, "t2");
  EXPECT_EQ(seen[2].user, "u3");
  EXPECT_EQ(seen[2].state, CredentialState::pending);
}

INSTANTIATE_TEST_SUITE_P(Backends, TotpConformance, ::testing::ValuesIn(store_backends()),
                         backend_name);

}  // namespace
}  // namespace hsm2fa::store::testing
