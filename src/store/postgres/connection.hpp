// One libpq connection (move-only owner of PGconn*) that prepares the Store's statements on
// first use, and PgResult, the owner of one PGresult. Not thread-safe: a pool lease gives one
// thread the connection at a time.
#pragma once

#include <libpq-fe.h>

#include <bitset>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "connection_settings.hpp"
#include "hsm2fa/result.hpp"
#include "statements.hpp"

namespace hsm2fa::store::postgres {

struct PgResultDeleter {
  void operator()(PGresult* result) const noexcept { PQclear(result); }
};

// Rows of text-format values.
class PgResult {
 public:
  explicit PgResult(PGresult* result) noexcept : result_(result) {}
  int rows() const noexcept { return PQntuples(result_.get()); }
  std::string text(int row, int column) const;
  std::int64_t int64(int row, int column) const;  // 0 if the value is not an integer
  bool boolean(int row, int column) const;
  std::int64_t affected() const;  // rows changed by an INSERT/UPDATE/DELETE
  std::string_view command() const noexcept { return PQcmdStatus(result_.get()); }

 private:
  std::unique_ptr<PGresult, PgResultDeleter> result_;
};

// A query parameter, sent as text.
struct Param {
  Param(std::int64_t value) : text(std::to_string(value)) {}  // NOLINT: implicit by design
  Param(int value) : text(std::to_string(value)) {}           // NOLINT
  Param(std::string_view value) : text(value) {}              // NOLINT
  Param(const std::string& value) : text(value) {}            // NOLINT
  Param(const char* value) : text(value) {}                   // NOLINT
  std::string text;
};

class PgConnection {
 public:
  // store_unavailable if the server cannot be reached or refuses the login.
  static Result<std::unique_ptr<PgConnection>> connect(const ConnectionSettings& settings);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one of the Store's statements, preparing it on this connection first if needed.
  Result<PgResult> run(Sql sql, std::initializer_list<Param> params);
  // Runs SQL that is not worth preparing (migrations, transaction control). Several statements
  // are allowed without parameters.
  Result<PgResult> query(const char* sql, std::initializer_list<Param> params = {});

  // The server closed the connection or the socket failed: drop it, do not reuse it.
  bool broken() const noexcept { return PQstatus(conn_) != CONNECTION_OK; }
  // No transaction left open: safe to hand to the next caller.
  bool idle() const noexcept { return PQtransactionStatus(conn_) == PQTRANS_IDLE; }

  // Called by the pool when a caller takes the connection: starts a new unit of work.
  void checked_out() noexcept {
    commands_ = 0;
    retryable_ = false;
  }
  // The last failure may be retried from the start of the caller's work on another
  // connection: a serialization failure or deadlock (the server rolled back), or the loss of
  // a pooled connection on its first command (a server restart closed it while idle), when
  // nothing of the caller's work can have been executed.
  bool failure_retryable() const noexcept { return retryable_; }

 private:
  explicit PgConnection(PGconn* conn, std::string description) noexcept
      : conn_(conn), description_(std::move(description)) {}
  Result<PgResult> check(PGresult* result, std::string_view what);
  Error failure(const PGresult* result, std::string_view what);

  PGconn* conn_;
  std::string description_;
  std::bitset<kStatementCount> prepared_;
  int commands_ = 0;
  bool retryable_ = false;
};

}  // namespace hsm2fa::store::postgres
