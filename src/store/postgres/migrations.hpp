// The PostgreSQL schema: the same tables, versions and meaning as the SQLite one
// (src/store/sqlite/migrations.cpp), in PostgreSQL's dialect, recorded in `schema_version`.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "connection.hpp"

namespace hsm2fa::store::postgres {

struct Migration {
  int version;           // 1, 2, 3, ... without gaps, matching the SQLite versions
  std::string_view sql;  // may hold several statements
};

// This build's migrations; the last one's version is the schema it reads and writes.
std::span<const Migration> schema_migrations() noexcept;

// Applies every migration newer than the database's version, each in its own transaction
// that also records it. Each transaction first takes pg_advisory_xact_lock(kMigrationLock),
// so instances starting together apply each migration exactly once; a failed one leaves the
// previous version intact. Tables go to the first schema of the connection's search_path.
// config if the database is newer than the last of `migrations`; store_unavailable otherwise.
Status migrate(PgConnection& conn, std::span<const Migration> migrations);

// The advisory lock key ("hsm2" in ASCII) that serialises migrations within one database.
inline constexpr std::int64_t kMigrationLock = 0x68736d32;

}  // namespace hsm2fa::store::postgres
