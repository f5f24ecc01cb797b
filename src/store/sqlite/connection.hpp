// One SQLite connection (move-only owner of sqlite3*) with its prepared-statement cache, and
// Query, the borrowed use of one cached statement. Not thread-safe: the owner serialises use.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "hsm2fa/result.hpp"

namespace hsm2fa::store::sqlite {

struct StatementDeleter {
  void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

// Binds parameters left to right, steps, reads columns; resets the statement when dropped so
// the cache can hand it out again. A bind failure is reported by the next step().
class Query {
 public:
  Query(sqlite3* db, sqlite3_stmt* stmt) noexcept : db_(db), stmt_(stmt) {}
  ~Query();
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query(Query&& other) noexcept;
  Query& operator=(Query&&) = delete;

  Query& bind(std::int64_t value);
  Query& bind(std::string_view text);

  Result<bool> step();  // true: a row is available; false: done
  Status run();         // steps to completion, ignoring rows

  std::int64_t int64(int column) const;
  std::string text(int column) const;
  bool is_null(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int next_index_ = 1;
  int bind_rc_ = SQLITE_OK;
};

class Connection {
 public:
  // Opens (creating with mode 0600) and configures: WAL, synchronous=FULL, foreign_keys=ON,
  // busy_timeout. store_unavailable on any failure.
  static Result<std::unique_ptr<Connection>> open(const std::string& path);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The statement for `sql`, prepared on first use and kept for the connection's lifetime.
  Result<Query> query(std::string_view sql);
  // Runs SQL without caching (DDL, transaction control, pragmas).
  Status exec(const char* sql);

  sqlite3* handle() const noexcept { return db_; }
  std::int64_t last_insert_rowid() const noexcept { return sqlite3_last_insert_rowid(db_); }
  int changes() const noexcept { return sqlite3_changes(db_); }
  // False in autocommit mode, including after SQLite rolled a failed transaction back by itself.
  bool in_transaction() const noexcept { return sqlite3_get_autocommit(db_) == 0; }

  // store_unavailable with `what` and SQLite's message for the connection's last error.
  Error error(std::string_view what) const;

 private:
  explicit Connection(sqlite3* db) noexcept : db_(db) {}
  sqlite3* db_;
  std::map<std::string, StatementPtr, std::less<>> statements_;  // finalised before db_ closes
};

// store_unavailable (conflict for a constraint violation) for an SQLite result code.
Error sqlite_error(sqlite3* db, int rc, std::string_view what);

}  // namespace hsm2fa::store::sqlite
