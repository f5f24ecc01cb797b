// Group commit in the SQLite store: batched writes keep their own outcomes, one failing write
// fails only itself, a failure that costs the transaction (a full disk, a failed COMMIT) fails
// every write of its batch, and racing writers through one store still get exactly one winner.
// Batches are formed deterministically: a first write holds the writer inside its batch until
// the test has seen the others queue up behind it.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <future>
#include <stdexcept>
#include <thread>

#include "group_commit.hpp"
#include "hsm2fa/store/group_commit_stats.hpp"
#include "store_backends.hpp"

namespace hsm2fa::store::testing {
namespace {

using sqlite::Connection;
using sqlite::GroupCommit;

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto conn = Connection::open(path());
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    ASSERT_TRUE(
        (*conn)->exec("CREATE TABLE parent (id INTEGER PRIMARY KEY);"
                      "CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL,"
                      " parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY"
                      " DEFERRED)"));
    writer_ = std::make_unique<GroupCommit>(std::move(conn).value());
  }

  std::string path() const { return (dir_.path() / "group.db").string(); }

  static Status put(Connection& c, std::int64_t k, std::string_view v) {
    auto q = c.query("INSERT INTO kv (k, v) VALUES (?, ?)");
    if (!q) return std::move(q).error();
    return q->bind(k).bind(v).run();
  }

  // The keys in kv as another connection sees them: only what was committed.
  std::vector<std::int64_t> committed_keys() {
    auto conn = Connection::open(path());
    EXPECT_TRUE(conn.ok());
    std::vector<std::int64_t> keys;
    if (!conn) return keys;
    auto q = (*conn)->query("SELECT k FROM kv ORDER BY k");
    EXPECT_TRUE(q.ok());
    if (!q) return keys;
    for (;;) {
      auto row = q->step();
      EXPECT_TRUE(row.ok());
      if (!row || !*row) return keys;
      keys.push_back(q->int64(0));
    }
  }

  // Runs `writes` as one batch: a first write holds the writer until every one of them is
  // queued, so they are all taken by the next leader together. Returns their outcomes in order.
  std::vector<Status> one_batch(std::vector<std::function<Status(Connection&)>> writes) {
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::atomic<bool> holding{false};
    std::thread holder([&] {
      auto st = writer_->write([&](Connection& c) -> Status {
        holding = true;
        released.wait();
        return put(c, 1000, "holder");
      });
      EXPECT_TRUE(st.ok());
    });
    while (!holding) std::this_thread::yield();
    std::vector<Status> outcomes(writes.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < writes.size(); ++i) {
      threads.emplace_back([&, i] { outcomes[i] = writer_->write(writes[i]); });
    }
    while (writer_->queued() < writes.size()) std::this_thread::yield();
    release.set_value();
    holder.join();
    for (auto& t : threads) t.join();
    return outcomes;
  }

  TempDir dir_;
  std::unique_ptr<GroupCommit> writer_;
};

TEST_F(GroupCommitTest, QueuedWritesShareOneCommitAndKeepTheirOwnResults) {
  std::vector<std::function<Status(Connection&)>> writes;
  for (int k = 1; k <= 5; ++k) writes.push_back([k](Connection& c) { return put(c, k, "v"); });
  for (const auto& st : one_batch(writes)) EXPECT_TRUE(st.ok());

  const auto stats = writer_->stats();
  EXPECT_EQ(stats.commits, 2u);  // the holder's batch, then the five together
  EXPECT_EQ(stats.writes, 6u);
  EXPECT_EQ(stats.largest_batch, 5u);
  EXPECT_EQ(committed_keys(), (std::vector<std::int64_t>{1, 2, 3, 4, 5, 1000}));

  // Each caller gets its own value back, not a neighbour's.
  auto value = writer_->write([](Connection& c) -> Result<std::int64_t> {
    auto q = c.query("SELECT count(*) FROM kv");
    if (!q) return std::move(q).error();
    auto row = q->step();
    if (!row) return std::move(row).error();
    return q->int64(0);
  });
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 6);
}

TEST_F(GroupCommitTest, AFailingWriteFailsOnlyItselfAndLeavesNothingBehind) {
  std::vector<std::function<Status(Connection&)>> writes = {
      [](Connection& c) { return put(c, 1, "a"); },
      // Writes a row, then violates the primary key (the holder's row, committed by the batch
      // before, whatever order the threads queued in): both must be undone, the others kept.
      [](Connection& c) -> Status {
        if (auto st = put(c, 2, "partial"); !st) return st;
        return put(c, 1000, "duplicate");
      },
      [](Connection&) -> Status { throw std::runtime_error("a bug in a write"); },
      [](Connection& c) { return put(c, 3, "c"); },
  };
  const auto outcomes = one_batch(writes);
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_TRUE(outcomes[0].ok());
  ASSERT_FALSE(outcomes[1].ok());
  EXPECT_EQ(outcomes[1].error().code, Errc::conflict);
  ASSERT_FALSE(outcomes[2].ok());
  EXPECT_EQ(outcomes[2].error().code, Errc::internal);
  EXPECT_TRUE(outcomes[3].ok());
  EXPECT_EQ(committed_keys(), (std::vector<std::int64_t>{1, 3, 1000}));
}

TEST_F(GroupCommitTest, AFailedCommitFailsEveryWriteOfTheBatch) {
  // A deferred foreign key is checked only at COMMIT: every statement succeeds, the commit not.
  std::vector<std::function<Status(Connection&)>> writes = {
      [](Connection& c) { return put(c, 1, "a"); },
      [](Connection& c) { return c.exec("INSERT INTO kv (k, v, parent) VALUES (2, 'b', 42)"); },
      [](Connection& c) { return put(c, 3, "c"); },
  };
  for (const auto& st : one_batch(writes)) {
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, Errc::store_unavailable);
  }
  EXPECT_EQ(committed_keys(), (std::vector<std::int64_t>{1000}));
  EXPECT_EQ(writer_->stats().failed_batches, 1u);

  // The writer is usable again afterwards.
  EXPECT_TRUE(writer_->write([](Connection& c) { return put(c, 4, "d"); }).ok());
  EXPECT_EQ(committed_keys(), (std::vector<std::int64_t>{4, 1000}));
}

TEST_F(GroupCommitTest, AFullDatabaseFailsEveryWriteOfTheBatch) {
  // Cap the file at its current size: small rows still fit in free space, a big one cannot.
  ASSERT_TRUE(writer_
                  ->write([](Connection& c) -> Status {
                    auto q = c.query("PRAGMA page_count");
                    if (!q) return std::move(q).error();
                    if (auto row = q->step(); !row) return std::move(row).error();
                    const std::string cap = "PRAGMA max_page_count=" + std::to_string(q->int64(0));
                    return c.exec(cap.c_str());
                  })
                  .ok());
  std::vector<std::function<Status(Connection&)>> writes = {
      [](Connection& c) { return put(c, 1, "a"); },
      [](Connection& c) { return put(c, 2, std::string(1 << 20, 'x')); },
      [](Connection& c) { return put(c, 3, "c"); },
  };
  for (const auto& st : one_batch(writes)) {
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, Errc::store_unavailable);
  }
  EXPECT_EQ(committed_keys(), std::vector<std::int64_t>{1000});
}

// Through the Store: every verifier of the same code races for the same step on one instance.
TEST(SqliteGroupCommitStore, ExactlyOneOfManyRacersOnOneStoreWinsEachStep) {
  constexpr int kThreads = 8;
  constexpr int kRepetitions = 100;
  TempDir dir;
  auto store = open_store("sqlite:" + (dir.path() / "hsm2fa.db").string());
  ASSERT_TRUE(store.ok());
  auto put = (*store)->put_pending_totp(pending_credential("t", "u", "p"));
  ASSERT_TRUE(put.ok());
  ASSERT_TRUE((*store)->activate_totp(put->id, SeedRef{"l"}, 0).ok());

  std::vector<std::atomic<int>> winners(kRepetitions);
  std::atomic<int> errors{0};
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int rep = 0; rep < kRepetitions; ++rep) {
        start.arrive_and_wait();
        auto won = (*store)->accept_totp_step(put->id, "t", "u", rep + 1);
        if (!won.ok()) ++errors;
        if (won.ok() && *won) ++winners[rep];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  for (int rep = 0; rep < kRepetitions; ++rep) EXPECT_EQ(winners[rep].load(), 1) << rep;
  EXPECT_EQ((*store)->totp_credentials("t", "u")->at(0).last_step, kRepetitions);

  const auto stats = group_commit_stats(**store);
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->failed_batches, 0u);
  EXPECT_EQ(stats->writes, 2u + kThreads * kRepetitions);  // with the enrollment's two
  EXPECT_LE(stats->commits, stats->writes);
}

}  // namespace
}  // namespace hsm2fa::store::testing
