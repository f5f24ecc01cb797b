#include "connection.hpp"

#include <charconv>
#include <cstring>
#include <vector>

namespace hsm2fa::store::postgres {
namespace {

// SQLSTATEs (PostgreSQL appendix A) that this code treats specially.
constexpr std::string_view kUniqueViolation = "23505";
constexpr std::string_view kSerializationFailure = "40001";
constexpr std::string_view kDeadlockDetected = "40P01";

std::string first_line(const char* message) {
  std::string line = message != nullptr ? message : "";
  if (const std::size_t nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
  return line.empty() ? "no message from libpq" : line;
}

}  // namespace

std::string PgResult::text(int row, int column) const {
  return std::string(PQgetvalue(result_.get(), row, column),
                     static_cast<std::size_t>(PQgetlength(result_.get(), row, column)));
}

std::int64_t PgResult::int64(int row, int column) const {
  const char* value = PQgetvalue(result_.get(), row, column);
  const char* end = value + PQgetlength(result_.get(), row, column);
  std::int64_t out = 0;
  std::from_chars(value, end, out);
  return out;
}

bool PgResult::boolean(int row, int column) const {
  return PQgetlength(result_.get(), row, column) == 1 &&
         *PQgetvalue(result_.get(), row, column) == 't';
}

std::int64_t PgResult::affected() const {
  const char* tuples = PQcmdTuples(result_.get());
  std::int64_t out = 0;
  std::from_chars(tuples, tuples + std::strlen(tuples), out);
  return out;
}

Result<std::unique_ptr<PgConnection>> PgConnection::connect(const ConnectionSettings& settings) {
  // Our defaults first; the URL (expanded from dbname) overrides them. connect_timeout bounds
  // an unreachable TCP host; fallback_application_name labels us in pg_stat_activity.
  const char* const keywords[] = {"connect_timeout", "fallback_application_name", "dbname",
                                  nullptr};
  const char* const values[] = {"5", "hsm2fa", settings.conninfo.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (conn == nullptr) {
    return make_error(Errc::store_unavailable, "postgres: out of memory connecting");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    Error error =
        make_error(Errc::store_unavailable, "postgres: cannot connect (" + settings.description +
                                                "): " + first_line(PQerrorMessage(conn)));
    PQfinish(conn);
    return error;
  }
  return std::unique_ptr<PgConnection>(new PgConnection(conn, settings.description));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

Result<PgResult> PgConnection::run(Sql sql, std::initializer_list<Param> params) {
  const Statement& s = statement(sql);
  const auto index = static_cast<std::size_t>(sql);
  if (!prepared_.test(index)) {
    ++commands_;
    auto prepared = check(PQprepare(conn_, s.name, s.text, 0, nullptr), s.name);
    if (!prepared) return std::move(prepared).error();
    prepared_.set(index);
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const Param& p : params) values.push_back(p.text.c_str());
  ++commands_;
  PGresult* result = PQexecPrepared(conn_, s.name, static_cast<int>(values.size()), values.data(),
                                    nullptr, nullptr, 0);
  return check(result, s.name);
}

Result<PgResult> PgConnection::query(const char* sql, std::initializer_list<Param> params) {
  ++commands_;
  const std::string_view what = std::string_view(sql).substr(0, 48);
  if (params.size() == 0) return check(PQexec(conn_, sql), what);
  std::vector<const char*> values;
  for (const Param& p : params) values.push_back(p.text.c_str());
  PGresult* result = PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr,
                                  values.data(), nullptr, nullptr, 0);
  return check(result, what);
}

// A statement's success is TUPLES_OK (it returns rows) or COMMAND_OK (it does not). Success
// leaves retryable_ alone: the ROLLBACK after a deadlock must not hide that it may be retried.
Result<PgResult> PgConnection::check(PGresult* result, std::string_view what) {
  const ExecStatusType status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return PgResult(result);
  Error error = failure(result, what);
  PQclear(result);
  return error;
}

Error PgConnection::failure(const PGresult* result, std::string_view what) {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string_view sqlstate = state != nullptr ? state : "";
  // The primary message only: DETAIL lines may quote stored values.
  const char* primary =
      result != nullptr ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  const std::string message = primary != nullptr ? primary : first_line(PQerrorMessage(conn_));
  const std::string where = "postgres (" + description_ + "): " + std::string(what) + ": ";

  if (broken()) {
    retryable_ = commands_ == 1;
    return make_error(Errc::store_unavailable, where + "connection lost: " + message);
  }
  retryable_ = sqlstate == kSerializationFailure || sqlstate == kDeadlockDetected;
  if (sqlstate == kUniqueViolation) return make_error(Errc::conflict, where + message);
  return make_error(Errc::store_unavailable,
                    where + message + (sqlstate.empty() ? "" : " [" + std::string(sqlstate) + "]"));
}

}  // namespace hsm2fa::store::postgres
