// Store conformance: import_totp_batch, the bulk path of the scale bench and migrations.
#include <gtest/gtest.h>

#include "store_backends.hpp"

namespace hsm2fa::store::testing {
namespace {

TotpCredential imported(const std::string& user, std::int64_t last_step) {
  TotpCredential c = pending_credential("bulk", user, "ref-" + user);
  c.state = CredentialState::active;
  c.alg = HashAlg::sha256;
  c.digits = 8;
  c.last_step = last_step;
  c.expires_at = 0;
  return c;
}

class BulkImportConformance : public StoreTest {};

TEST_P(BulkImportConformance, RowsSpanningSeveralTransactionsAreAllStoredDurably) {
  std::vector<TotpCredential> rows;
  const std::size_t count = Store::kImportBatchRows + 17;  // two transactions
  for (std::size_t i = 0; i < count; ++i) {
    rows.push_back(imported("u" + std::to_string(i), static_cast<std::int64_t>(i)));
  }
  ASSERT_TRUE(store_->import_totp_batch(rows).ok());
  reopen();
  for (std::size_t i : {std::size_t{0}, Store::kImportBatchRows - 1, count - 1}) {
    auto got = store_->totp_credentials("bulk", "u" + std::to_string(i));
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->size(), 1u);
    const auto& c = got->front();
    EXPECT_GT(c.id, 0);
    EXPECT_EQ(c.state, CredentialState::active);
    EXPECT_EQ(c.seed, SeedRef{"ref-u" + std::to_string(i)});
    EXPECT_EQ(c.alg, HashAlg::sha256);
    EXPECT_EQ(c.digits, 8);
    EXPECT_EQ(c.last_step, static_cast<std::int64_t>(i));
  }
  auto page = store_->totp_credentials_after(0, count + 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->size(), count);
}

TEST_P(BulkImportConformance, ImportedCredentialsObeyTheReplayGuard) {
  const TotpCredential rows[] = {imported("alice", 100)};
  ASSERT_TRUE(store_->import_totp_batch(rows).ok());
  auto got = store_->totp_credentials("bulk", "alice");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u);
  auto replayed = store_->accept_totp_step(got->front().id, "bulk", "alice", 100);
  ASSERT_TRUE(replayed.ok());
  EXPECT_FALSE(*replayed);
  auto fresh = store_->accept_totp_step(got->front().id, "bulk", "alice", 101);
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(*fresh);
}

TEST_P(BulkImportConformance, ADuplicateFailsItsWholeTransaction) {
  const TotpCredential first[] = {imported("bob", 1)};
  ASSERT_TRUE(store_->import_totp_batch(first).ok());
  const TotpCredential second[] = {imported("carol", 1), imported("bob", 2)};
  auto status = store_->import_totp_batch(second);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::conflict);
  auto carol = store_->totp_credentials("bulk", "carol");
  ASSERT_TRUE(carol.ok());
  EXPECT_TRUE(carol->empty());
  auto bob = store_->totp_credentials("bulk", "bob");
  ASSERT_TRUE(bob.ok());
  ASSERT_EQ(bob->size(), 1u);
  EXPECT_EQ(bob->front().last_step, 1);
}

TEST_P(BulkImportConformance, RowsWithoutSeedOrUserAreRefusedBeforeAnyWrite) {
  TotpCredential no_seed = imported("dave", 1);
  no_seed.seed = SeedRef{};
  const TotpCredential rows[] = {imported("erin", 1), no_seed};
  auto status = store_->import_totp_batch(rows);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, Errc::invalid_argument);
  auto erin = store_->totp_credentials("bulk", "erin");
  ASSERT_TRUE(erin.ok());
  EXPECT_TRUE(erin->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, BulkImportConformance, ::testing::ValuesIn(store_backends()),
                         backend_name);

}  // namespace
}  // namespace hsm2fa::store::testing
