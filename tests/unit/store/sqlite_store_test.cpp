// SQLite-specific behaviour: the URL, the file, journaling, migrations and failures to open.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>

#include "connection.hpp"
#include "migrations.hpp"
#include "store_backends.hpp"

namespace hsm2fa::store::testing {
namespace {

// A plain connection beside the store, to look at what it wrote.
class RawDb {
 public:
  explicit RawDb(const std::filesystem::path& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }
  ~RawDb() { sqlite3_close(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;
  void exec(const char* sql) {
    EXPECT_EQ(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
  }
  // The first column of every row, as text.
  std::vector<std::string> column(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db_);
    std::vector<std::string> out;
    while (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(stmt, 0);
      out.emplace_back(text ? reinterpret_cast<const char*>(text) : "NULL");
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

class SqliteStore : public ::testing::Test {
 protected:
  std::filesystem::path db_path() const { return dir_.path() / "hsm2fa.db"; }
  std::string url() const { return "sqlite:" + db_path().string(); }
  std::string latest() const { return std::to_string(sqlite::schema_migrations().back().version); }
  TempDir dir_;
};

Errc open_error(std::string_view url) {
  auto r = open_store(url);
  EXPECT_FALSE(r.ok()) << url;
  return r.ok() ? Errc::internal : r.error().code;
}

TEST_F(SqliteStore, RefusesUnknownSchemesAndPathsThatAreNotFiles) {
  EXPECT_EQ(open_error(""), Errc::config);
  EXPECT_EQ(open_error("mysql://localhost/db"), Errc::config);
  EXPECT_EQ(open_error("sqlite:"), Errc::config);
  EXPECT_EQ(open_error("sqlite::memory:"), Errc::config);
  EXPECT_EQ(open_error("SQLITE:x.db"), Errc::config);
}

TEST_F(SqliteStore, CreatesAnOwnerOnlyFileInWalMode) {
  auto store = open_store(url());
  ASSERT_TRUE(store.ok()) << store.error().message;
  ASSERT_TRUE((*store)->set_two_factor("t", "u", true, "", 0).ok());
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string path = db_path().string() + suffix;
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << path;
  }
  RawDb raw(db_path());
  EXPECT_EQ(raw.column("PRAGMA journal_mode"), std::vector<std::string>{"wal"});
}

TEST_F(SqliteStore, OpensARelativePathFromTheWorkingDirectory) {
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_.path());
  auto store = open_store("sqlite:relative.db");
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "relative.db"));
}

TEST_F(SqliteStore, FreshDatabaseIsAtTheLatestVersionAndReopeningChangesNothing) {
  ASSERT_TRUE(open_store(url()).ok());
  std::vector<std::string> versions, cookie;
  {
    RawDb raw(db_path());
    versions = raw.column("SELECT version || '@' || applied_at FROM schema_version");
    cookie = raw.column("PRAGMA schema_version");
    EXPECT_EQ(raw.column("SELECT max(version) FROM schema_version"),
              std::vector<std::string>{latest()});
  }
  ASSERT_EQ(versions.size(), sqlite::schema_migrations().size());
  ASSERT_TRUE(open_store(url()).ok());
  RawDb raw(db_path());
  EXPECT_EQ(raw.column("SELECT version || '@' || applied_at FROM schema_version"), versions);
  EXPECT_EQ(raw.column("PRAGMA schema_version"), cookie);  // no DDL ran
}

TEST_F(SqliteStore, MigratesAnExistingDatabaseAndKeepsItsTables) {
  {
    RawDb raw(db_path());
    raw.exec("CREATE TABLE operator_notes (note TEXT); INSERT INTO operator_notes VALUES ('keep')");
  }
  auto store = open_store(url());
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_TRUE((*store)->user_state("t", "u").ok());
  RawDb raw(db_path());
  EXPECT_EQ(raw.column("SELECT note FROM operator_notes"), std::vector<std::string>{"keep"});
  EXPECT_EQ(raw.column("SELECT max(version) FROM schema_version"),
            std::vector<std::string>{latest()});
}

// A later build's migration, applied over data written by this one.
constexpr std::string_view kLaterMigration =
    "CREATE TABLE later_table (tenant TEXT NOT NULL, user_id TEXT NOT NULL, mac BLOB);"
    "ALTER TABLE users ADD COLUMN email TEXT NOT NULL DEFAULT ''";

TEST_F(SqliteStore, UpgradesOlderSchemasInOrderKeepingData) {
  {
    auto store = open_store(url());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->set_two_factor("t", "u", true, "", 0).ok());
  }
  std::vector<sqlite::Migration> next(sqlite::schema_migrations().begin(),
                                      sqlite::schema_migrations().end());
  const int upgraded = next.back().version + 1;
  next.push_back({upgraded, kLaterMigration});
  {
    auto conn = sqlite::Connection::open(db_path().string());
    ASSERT_TRUE(conn.ok());
    auto migrated = sqlite::migrate(**conn, next);
    ASSERT_TRUE(migrated.ok()) << migrated.error().message;
    ASSERT_TRUE(sqlite::migrate(**conn, next).ok());  // idempotent
  }
  RawDb raw(db_path());
  EXPECT_EQ(raw.column("SELECT max(version) || ':' || count(*) FROM schema_version"),
            std::vector<std::string>{std::to_string(upgraded) + ":" + std::to_string(upgraded)});
  EXPECT_EQ(raw.column("SELECT two_factor_enabled || email FROM users"),
            std::vector<std::string>{"1"});

  // This build cannot read the upgraded schema, and says so.
  auto refused = open_store(url());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::config);
  EXPECT_NE(refused.error().message.find("newer"), std::string::npos);
}

TEST_F(SqliteStore, AFailedMigrationLeavesThePreviousVersionWhole) {
  ASSERT_TRUE(open_store(url()).ok());
  std::vector<sqlite::Migration> next(sqlite::schema_migrations().begin(),
                                      sqlite::schema_migrations().end());
  next.push_back({next.back().version + 1, "CREATE TABLE half_done (x); NOT VALID SQL"});
  auto conn = sqlite::Connection::open(db_path().string());
  ASSERT_TRUE(conn.ok());
  auto migrated = sqlite::migrate(**conn, next);
  ASSERT_FALSE(migrated.ok());
  EXPECT_EQ(migrated.error().code, Errc::store_unavailable);
  RawDb raw(db_path());
  EXPECT_EQ(raw.column("SELECT max(version) FROM schema_version"),
            std::vector<std::string>{latest()});
  EXPECT_TRUE(raw.column("SELECT name FROM sqlite_master WHERE name = 'half_done'").empty());
  EXPECT_TRUE(open_store(url()).ok());
}

TEST_F(SqliteStore, RefusesADatabaseFromANewerVersion) {
  ASSERT_TRUE(open_store(url()).ok());
  {
    RawDb raw(db_path());
    raw.exec("INSERT INTO schema_version (version, applied_at) VALUES (999, 0)");
  }
  auto r = open_store(url());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::config);
  EXPECT_NE(r.error().message.find("999"), std::string::npos);
}

TEST_F(SqliteStore, UnwritablePathsAreStoreUnavailable) {
  const auto file = dir_.path() / "a-file";
  std::ofstream(file) << "x";
  EXPECT_EQ(open_error("sqlite:" + (file / "hsm2fa.db").string()), Errc::store_unavailable);
  EXPECT_EQ(open_error("sqlite:" + (dir_.path() / "missing" / "hsm2fa.db").string()),
            Errc::store_unavailable);
  EXPECT_EQ(open_error("sqlite:" + dir_.path().string()), Errc::store_unavailable);  // a directory
}

TEST_F(SqliteStore, AFileThatIsNotADatabaseIsStoreUnavailable) {
  std::ofstream(db_path()) << std::string(4096, 'z');
  EXPECT_EQ(open_error(url()), Errc::store_unavailable);
}

}  // namespace
}  // namespace hsm2fa::store::testing
