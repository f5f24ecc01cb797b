#include "pg_test_server.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <random>
#include <sstream>

#include "store_backends.hpp"

namespace hsm2fa::store::testing {
namespace {

std::optional<std::string> read_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line) || line.empty()) return std::nullopt;
  return line;
}

PgTestServer find_server() {
  PgTestServer server;
  server.required = ::getenv("CI") != nullptr && *::getenv("CI") != '\0';
  if (const char* url = ::getenv("HSM2FA_TEST_PG_URL"); url != nullptr && *url != '\0') {
    server.url = url;
    return server;
  }
  const char* state = ::getenv("HSM2FA_TEST_PG_STATE");
  if (state == nullptr || *state == '\0') {
    server.unavailable_reason =
        "no PostgreSQL server: run through ctest (its fixture starts one) or set "
        "HSM2FA_TEST_PG_URL";
    return server;
  }
  const std::string dir = state;
  server.url = read_line(dir + "/url");
  if (!server.url) {
    server.unavailable_reason =
        read_line(dir + "/skip")
            .value_or("the PostgreSQL test cluster is not running (no url in " + dir + ")");
  }
  return server;
}

}  // namespace

const PgTestServer& pg_test_server() {
  static const PgTestServer server = find_server();
  return server;
}

PgConnPtr connect_for_test(const std::string& url) {
  PgConnPtr conn(PQconnectdb(url.c_str()));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) return nullptr;
  return conn;
}

std::string query_value(PGconn* conn, const std::string& sql) {
  PGresult* r = PQexec(conn, sql.c_str());
  std::string out;
  const ExecStatusType status = PQresultStatus(r);
  if (status == PGRES_TUPLES_OK && PQntuples(r) > 0) {
    out = PQgetvalue(r, 0, 0);
  } else if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    out = std::string("<error: ") + PQresultErrorMessage(r) + ">";
  }
  PQclear(r);
  return out;
}

std::optional<std::string> fresh_schema_url(const std::string& base_url, std::string* why) {
  PgConnPtr conn = connect_for_test(base_url);
  if (!conn) {
    *why = "cannot connect to the PostgreSQL test server";
    return std::nullopt;
  }
  std::random_device random;
  std::ostringstream name;
  name << "t_" << std::hex << random() << random();
  const std::string created = query_value(conn.get(), "CREATE SCHEMA " + name.str());
  if (!created.empty()) {
    *why = "CREATE SCHEMA failed: " + created;
    return std::nullopt;
  }
  const char separator = base_url.find('?') == std::string::npos ? '?' : '&';
  return base_url + separator + "options=-csearch_path%3D" + name.str();
}

StoreBackend postgres_backend() {
  const PgTestServer& server = pg_test_server();
  return {"PostgreSQL",
          [](const TempDir&) -> std::optional<std::string> {
            const PgTestServer& s = pg_test_server();
            if (!s.url) {
              if (s.required) ADD_FAILURE() << "CI is set: " << s.unavailable_reason;
              return std::nullopt;
            }
            std::string why;
            auto url = fresh_schema_url(*s.url, &why);
            if (!url) ADD_FAILURE() << why;
            return url;
          },
          server.url ? "" : server.unavailable_reason};
}

}  // namespace hsm2fa::store::testing
