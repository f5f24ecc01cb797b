#include "connection.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace hsm2fa::store::sqlite {
namespace {

constexpr int kBusyTimeoutMs = 5000;

// SQLite creates the file with the process umask; create it first so it is 0600 from birth
// (the -wal and -shm files then inherit its mode). Only when it does not exist yet: closing any
// descriptor of the database file drops every POSIX lock this process holds on it, the locks
// of its open SQLite connections included (the store opens reader connections while the writer
// is live), after which another process could recover or checkpoint the WAL under them.
Status create_private_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return {};
    return make_error(Errc::store_unavailable,
                      "sqlite: cannot create " + path + ": " + std::strerror(errno));
  }
  ::close(fd);  // a new file: no connection of ours can hold a lock on it yet
  return {};
}

}  // namespace

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  std::string message = "sqlite: ";
  message += what;
  message += ": ";
  message += (db != nullptr && sqlite3_errcode(db) == rc) ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const Errc code = (rc & 0xff) == SQLITE_CONSTRAINT ? Errc::conflict : Errc::store_unavailable;
  return make_error(code, std::move(message));
}

Query::~Query() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Query::Query(Query&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      next_index_(other.next_index_),
      bind_rc_(other.bind_rc_) {}

Query& Query::bind(std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, next_index_++, value);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Query& Query::bind(std::string_view text) {
  // An empty view may have a null data(), which SQLite would bind as NULL, not as ''.
  const int rc = sqlite3_bind_text64(stmt_, next_index_++, text.data() ? text.data() : "",
                                     text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Result<bool> Query::step() {
  if (bind_rc_ != SQLITE_OK) return sqlite_error(db_, bind_rc_, "bind");
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(db_, rc, "step");
}

Status Query::run() {
  for (;;) {
    auto row = step();
    if (!row) return std::move(row).error();
    if (!*row) return {};
  }
}

std::int64_t Query::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Query::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  const int n = sqlite3_column_bytes(stmt_, column);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), n);
}

bool Query::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path) {
  if (auto created = create_private_file(path); !created) return std::move(created).error();
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<Connection> conn(new Connection(db));  // closes db even if open failed
  if (rc != SQLITE_OK) return sqlite_error(db, rc, "open " + path);
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);

  // journal_mode answers with the mode in force: anything but "wal" means it did not take.
  auto mode = conn->query("PRAGMA journal_mode=WAL");
  if (!mode) return std::move(mode).error();
  auto row = mode->step();
  if (!row) return std::move(row).error();
  if (!*row || mode->text(0) != "wal") {
    return make_error(Errc::store_unavailable, "sqlite: " + path + " cannot use WAL journaling");
  }
  for (const char* pragma : {"PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"}) {
    if (auto ok = conn->exec(pragma); !ok) return std::move(ok).error();
  }
  return conn;
}

Connection::~Connection() {
  statements_.clear();
  sqlite3_close_v2(db_);
}

Result<Query> Connection::query(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return sqlite_error(db_, rc, "prepare");
    it = statements_.emplace(std::string(sql), StatementPtr(stmt)).first;
  }
  return Query(db_, it->second.get());
}

Status Connection::exec(const char* sql) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(db_, rc, "exec");
  return {};
}

Error Connection::error(std::string_view what) const {
  return sqlite_error(db_, sqlite3_errcode(db_), what);
}

}  // namespace hsm2fa::store::sqlite
