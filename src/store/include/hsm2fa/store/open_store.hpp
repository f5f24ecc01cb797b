// Opens the Store named by the config's `store.url`.
#pragma once

#include <memory>
#include <string_view>

#include "hsm2fa/result.hpp"
#include "hsm2fa/store.hpp"

namespace hsm2fa::store {

// "sqlite:PATH": an SQLite database file (relative paths are relative to the working
// directory), created with mode 0600 if missing and migrated to the current schema.
//
// "postgresql://[user@][host][:port][/dbname][?param=value&...]" (or "postgres://"): a
// PostgreSQL database shared by several hsm2fa instances, reached through libpq, which
// understands every libpq URL parameter (host=/path/to/socket/dir, sslmode, service, passfile,
// connect_timeout (default here 5 s), options, ...). One extra parameter is ours: pool_size=N,
// the connections each instance keeps (1..64, default 4). The URL must not carry a password:
// it is refused (config) as user:password@, password= or sslpassword=, because the URL is
// logged; libpq reads the password from a passfile (PGPASSFILE, ~/.pgpass or passfile=) or a
// service file (PGSERVICEFILE, service=). The database is migrated to the current schema on
// open (concurrent openers serialise on an advisory lock); tables go to the first schema on
// the connection's search_path. Error messages name host, port, dbname and user only.
//
// Errors: config (unknown scheme, empty path, an invalid or password-carrying URL, a database
// written by a newer hsm2fa), store_unavailable (cannot create, open, reach, read or migrate
// the database).
Result<std::shared_ptr<Store>> open_store(std::string_view url);

}  // namespace hsm2fa::store
