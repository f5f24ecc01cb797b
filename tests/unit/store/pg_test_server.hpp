// The PostgreSQL server the store tests run against, and a fresh schema per test on it.
//
// The server is HSM2FA_TEST_PG_URL if set (any reachable server where the URL's user may
// create schemas), else the throw-away cluster that the ctest fixture (pg_cluster.sh setup)
// started, found through HSM2FA_TEST_PG_STATE: its `url` file, or its `skip` file saying why
// there is none. Without a server the PostgreSQL cases skip with that reason, unless CI is
// set: then they fail.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <optional>
#include <string>

namespace hsm2fa::store::testing {

struct PgTestServer {
  std::optional<std::string> url;
  std::string unavailable_reason;  // when url is empty
  bool required = false;           // CI is set: a missing server is a failure
};

const PgTestServer& pg_test_server();

// A new, empty schema on `base_url` and a URL whose search_path starts with it; nullopt with
// the reason in `why` if the server refuses.
std::optional<std::string> fresh_schema_url(const std::string& base_url, std::string* why);

struct PgConnDeleter {
  void operator()(PGconn* conn) const noexcept { PQfinish(conn); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;

// A plain libpq connection for a test to look behind the Store; null on failure.
PgConnPtr connect_for_test(const std::string& url);
// The first column of the first row of `sql`, or "<error: ...>".
std::string query_value(PGconn* conn, const std::string& sql);

}  // namespace hsm2fa::store::testing
