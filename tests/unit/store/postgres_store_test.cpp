// PostgreSQL-only behaviour: URL rules, migrations racing, two instances racing, and a server
// outage and restart under an open store.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <barrier>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "pg_test_server.hpp"
#include "store_backends.hpp"

namespace hsm2fa::store::testing {
namespace {

void expect_config_error(const std::string& url, const std::string& must_not_mention) {
  auto store = open_store(url);
  ASSERT_FALSE(store.ok()) << url;
  EXPECT_EQ(store.error().code, Errc::config) << url;
  if (!must_not_mention.empty()) {
    EXPECT_EQ(store.error().message.find(must_not_mention), std::string::npos)
        << store.error().message;
  }
}

TEST(PostgresUrl, PasswordsAreRefusedAndNeverEchoed) {
  expect_config_error("postgresql://alice:s3cr3t-pw@db.example/hsm2fa", "s3cr3t-pw");
  expect_config_error("postgres://alice:s3cr3t-pw@db.example:5432/hsm2fa?sslmode=require",
                      "s3cr3t-pw");
  expect_config_error("postgresql://db.example/hsm2fa?password=s3cr3t-pw", "s3cr3t-pw");
  expect_config_error("postgresql://db.example/hsm2fa?sslmode=require&password=s3cr3t-pw",
                      "s3cr3t-pw");
  expect_config_error("postgresql://db.example/hsm2fa?sslpassword=s3cr3t-pw", "s3cr3t-pw");
  expect_config_error("postgresql://db.example/hsm2fa?pass%77ord=s3cr3t-pw", "s3cr3t-pw");
  auto refused = open_store("postgresql://alice:pw@db.example/hsm2fa");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("passfile"), std::string::npos);
}

TEST(PostgresUrl, PoolSizeMustBeSensible) {
  for (const char* bad : {"0", "65", "-1", "four", "", "4x"}) {
    expect_config_error(std::string("postgresql:///hsm2fa?pool_size=") + bad, "");
  }
}

TEST(PostgresUrl, UnknownParametersAreRefusedByLibpq) {
  expect_config_error("postgresql:///hsm2fa?no_such_parameter=1", "");
}

TEST(PostgresUrl, UnreachableServerIsUnavailable) {
  auto store = open_store("postgresql:///hsm2fa?host=/nonexistent-hsm2fa-socket-dir");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Errc::store_unavailable);
  EXPECT_NE(store.error().message.find("dbname=hsm2fa"), std::string::npos)
      << store.error().message;
}

// A fresh schema on the shared test server.
class PostgresStore : public ::testing::Test {
 protected:
  void SetUp() override {
    const PgTestServer& server = pg_test_server();
    if (!server.url) {
      if (server.required) FAIL() << "CI is set: " << server.unavailable_reason;
      GTEST_SKIP() << server.unavailable_reason;
    }
    std::string why;
    auto url = fresh_schema_url(*server.url, &why);
    ASSERT_TRUE(url.has_value()) << why;
    url_ = *url;
  }
  std::shared_ptr<Store> open(const std::string& suffix = "") {
    auto store = open_store(url_ + suffix);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? *store : nullptr;
  }
  std::string url_;
};

TEST_F(PostgresStore, ConcurrentOpenersMigrateOnce) {
  constexpr int kOpeners = 4;
  std::vector<std::shared_ptr<Store>> stores(kOpeners);
  std::barrier start(kOpeners);
  std::vector<std::thread> threads;
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto store = open_store(url_);
      if (store.ok()) stores[i] = *store;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& store : stores) ASSERT_NE(store, nullptr);
  PgConnPtr conn = connect_for_test(url_);
  ASSERT_NE(conn, nullptr);
  EXPECT_EQ(query_value(conn.get(), "SELECT count(*) || ':' || max(version) FROM schema_version"),
            "3:3");
}

TEST_F(PostgresStore, RefusesASchemaFromANewerBuild) {
  ASSERT_NE(open(), nullptr);
  PgConnPtr conn = connect_for_test(url_);
  ASSERT_NE(conn, nullptr);
  ASSERT_EQ(query_value(conn.get(), "INSERT INTO schema_version VALUES (99, 0)"), "");
  auto store = open_store(url_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, Errc::config);
}

TEST_F(PostgresStore, PoolStaysWithinItsSize) {
  const std::string app = "hsm2fa_pool_" + std::to_string(::getpid());
  auto store = open("&pool_size=2&application_name=" + app);
  ASSERT_NE(store, nullptr);
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        if (!store->record_failure("t", "u" + std::to_string(t), ThrottlePolicy{}, 0).ok()) {
          ++errors;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  PgConnPtr conn = connect_for_test(url_);
  ASSERT_NE(conn, nullptr);
  const std::string open_connections = query_value(
      conn.get(), "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + app + "'");
  EXPECT_EQ(open_connections, "2");
  EXPECT_EQ(store->user_state("t", "u5")->throttle.failures, 20);
}

TEST_F(PostgresStore, TwoInstancesRacingOnOneStepHaveExactlyOneWinner) {
  constexpr int kRepetitions = 500;
  constexpr int kThreads = 4;  // two per instance
  auto first = open();
  auto second = open();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  auto put = first->put_pending_totp(pending_credential("t", "u", "p"));
  ASSERT_TRUE(put.ok());
  ASSERT_TRUE(first->activate_totp(put->id, SeedRef{"l"}, 0).ok());

  std::vector<std::atomic<int>> winners(kRepetitions);
  std::atomic<int> errors{0};
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& store = t % 2 == 0 ? *first : *second;
      for (int rep = 0; rep < kRepetitions; ++rep) {
        start.arrive_and_wait();
        auto won = store.accept_totp_step(put->id, "t", "u", rep + 1);
        if (!won.ok()) {
          ++errors;
        } else if (*won) {
          ++winners[rep];
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  int wrong = 0;
  for (const auto& w : winners) wrong += w.load() != 1 ? 1 : 0;
  EXPECT_EQ(wrong, 0) << "repetitions without exactly one winner";
  EXPECT_EQ(second->totp_credentials("t", "u")->at(0).last_step, kRepetitions);
}

TEST_F(PostgresStore, FailuresFromTwoInstancesAddUpToTheLock) {
  const ThrottlePolicy policy{5, std::chrono::milliseconds(1000), std::chrono::milliseconds(8000),
                              20, std::chrono::seconds(60)};
  constexpr std::int64_t kNow = 5'000'000;
  auto first = open();
  auto second = open();
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);

  std::mutex mu;
  std::multiset<int> counts;  // the count each call saw: 1..20, each exactly once
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Store& store = t % 2 == 0 ? *first : *second;
      for (int i = 0; i < 5; ++i) {
        auto after = store.record_failure("t", "u", policy, kNow);
        if (!after.ok()) {
          ++errors;
          continue;
        }
        std::lock_guard lock(mu);
        counts.insert(after->failures);
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(errors.load(), 0);

  std::multiset<int> expected;
  ThrottleState chained;
  for (int i = 1; i <= 20; ++i) {
    expected.insert(i);
    chained = after_failure(chained, policy, kNow);
  }
  EXPECT_EQ(counts, expected);
  const ThrottleState stored = second->user_state("t", "u")->throttle;
  EXPECT_EQ(stored.failures, 20);
  EXPECT_EQ(stored.locked_until_ms, kNow + 60'000);  // locked at exactly the 20th
  EXPECT_EQ(stored.not_before_ms, chained.not_before_ms);
  EXPECT_EQ(stored.locked_until_ms, chained.locked_until_ms);
}

// Its own cluster, so stopping it does not disturb the tests sharing the fixture's.
class PostgresOutage : public ::testing::Test {
 protected:
  void SetUp() override {
    const bool required = pg_test_server().required;
    const char* shared_state = ::getenv("HSM2FA_TEST_PG_STATE");
    std::ifstream in(std::string(shared_state != nullptr ? shared_state : "") + "/script");
    if (!in || !std::getline(in, script_) || script_.empty()) {
      if (required) FAIL() << "CI is set but the test cluster's script is not recorded";
      GTEST_SKIP() << "pg_cluster.sh not recorded in HSM2FA_TEST_PG_STATE: run through ctest";
    }
    state_ = (scratch_.path() / "cluster").string();
    ASSERT_TRUE(cluster("setup"));
    auto url = read_state("url");
    if (!url) {
      if (required) FAIL() << "CI is set: " << read_state("skip").value_or("no cluster");
      GTEST_SKIP() << read_state("skip").value_or("no cluster");
    }
    url_ = *url;
    started_ = true;
  }
  void TearDown() override {
    if (started_) {
      EXPECT_TRUE(cluster("teardown"));
    }
  }
  bool cluster(const std::string& command) {
    // Paths come from the environment and mkdtemp, not from test input.
    const std::string line = "'" + script_ + "' " + command + " '" + state_ + "'";
    return std::system(line.c_str()) == 0;
  }
  std::optional<std::string> read_state(const std::string& name) {
    std::ifstream in(state_ + "/" + name);
    std::string line;
    if (!in || !std::getline(in, line) || line.empty()) return std::nullopt;
    return line;
  }
  TempDir scratch_;
  std::string script_, state_, url_;
  bool started_ = false;
};

TEST_F(PostgresOutage, CallsFailClosedDuringAnOutageAndTheStoreRecoversByItself) {
  auto opened = open_store(url_);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  std::shared_ptr<Store> store = *opened;
  auto put = store->put_pending_totp(pending_credential("t", "u", "p"));
  ASSERT_TRUE(put.ok());
  ASSERT_TRUE(store->activate_totp(put->id, SeedRef{"l"}, 10).ok());
  ASSERT_TRUE(store->accept_totp_step(put->id, "t", "u", 11).value());
  ASSERT_TRUE(store->record_failure("t", "u", ThrottlePolicy{}, 0).ok());

  ASSERT_TRUE(cluster("down"));
  const auto unavailable = [](Errc code) { return code == Errc::store_unavailable; };
  EXPECT_TRUE(unavailable(store->ping().error().code));
  for (int i = 0; i < 3; ++i) {  // each pooled connection, then fresh ones: all refused
    auto won = store->accept_totp_step(put->id, "t", "u", 12 + i);
    ASSERT_FALSE(won.ok());
    EXPECT_TRUE(unavailable(won.error().code)) << won.error().message;
  }
  EXPECT_FALSE(store->user_state("t", "u").ok());
  EXPECT_FALSE(store->record_failure("t", "u", ThrottlePolicy{}, 0).ok());
  EXPECT_FALSE(store->put_pending_totp(pending_credential("t", "u", "q")).ok());

  ASSERT_TRUE(cluster("up"));
  EXPECT_TRUE(store->ping().ok());
  auto replay = store->accept_totp_step(put->id, "t", "u", 11);
  ASSERT_TRUE(replay.ok()) << replay.error().message;
  EXPECT_FALSE(*replay);  // accepted before the outage: still refused
  EXPECT_EQ(store->user_state("t", "u")->throttle.failures, 1);
  EXPECT_TRUE(store->accept_totp_step(put->id, "t", "u", 12).value());

  // A restart while the pool is idle: the stale connections are replaced transparently.
  ASSERT_TRUE(cluster("restart"));
  auto after_restart = store->accept_totp_step(put->id, "t", "u", 12);
  ASSERT_TRUE(after_restart.ok()) << after_restart.error().message;
  EXPECT_FALSE(*after_restart);
  EXPECT_TRUE(store->accept_totp_step(put->id, "t", "u", 13).value());
  EXPECT_EQ(store->totp_credentials("t", "u")->at(0).last_step, 13);
}

}  // namespace
}  // namespace hsm2fa::store::testing
