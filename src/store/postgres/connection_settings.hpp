// What a `postgresql://` store URL asks for: libpq's connection string (the URL itself, minus
// our own parameters) and the pool size. Parsing refuses passwords, so neither the URL nor any
// message derived from it ever carries one.
#pragma once

#include <string>
#include <string_view>

#include "hsm2fa/result.hpp"

namespace hsm2fa::store::postgres {

struct ConnectionSettings {
  std::string conninfo;     // for PQconnectdbParams (expand_dbname); no password in it
  std::string description;  // "host=... port=... dbname=... user=...", safe to log
  int pool_size = 4;
};

inline constexpr int kDefaultPoolSize = 4;
inline constexpr int kMaxPoolSize = 64;

// Accepts "postgresql://" and "postgres://" URLs as libpq does, plus one parameter of ours,
// `pool_size=N` (1..64, default 4). config for a password in the URL (user:password@,
// password= or sslpassword=): the password belongs in a passfile (PGPASSFILE, ~/.pgpass,
// `passfile=`) or a service file (PGSERVICEFILE, `service=`), which libpq reads itself. config for
// anything else libpq cannot parse.
Result<ConnectionSettings> parse_connection_url(std::string_view url);

}  // namespace hsm2fa::store::postgres
