// The SQLite schema as an ordered list of migrations, recorded in `schema_version`.
#pragma once

#include <span>
#include <string_view>

#include "connection.hpp"

namespace hsm2fa::store::sqlite {

struct Migration {
  int version;           // 1, 2, 3, ... without gaps
  std::string_view sql;  // may hold several statements
};

// This build's migrations; the last one's version is the schema it reads and writes.
std::span<const Migration> schema_migrations() noexcept;

// Applies every migration newer than the database's version, each in its own BEGIN IMMEDIATE
// transaction that also records it (so concurrent openers apply each exactly once, and a failed
// one leaves the previous version intact). An up-to-date database is left untouched.
// config if the database is newer than the last of `migrations`; store_unavailable otherwise.
Status migrate(Connection& conn, std::span<const Migration> migrations);

}  // namespace hsm2fa::store::sqlite
