#include "migrations.hpp"

#include <string>

#include "write_transaction.hpp"

namespace hsm2fa::store::sqlite {
namespace {

// Version 1: users (throttle and the 2FA switch) and TOTP credentials. Users exist implicitly,
// so credentials carry (tenant, user_id) without a foreign key. Later tables (email codes,
// devices, challenges) come as further migrations.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE users (
  tenant             TEXT    NOT NULL,
  user_id            TEXT    NOT NULL,
  two_factor_enabled INTEGER NOT NULL DEFAULT 0,
  disabled_reason    TEXT    NOT NULL DEFAULT '',
  disabled_until     INTEGER NOT NULL DEFAULT 0,
  failures           INTEGER NOT NULL DEFAULT 0,
  not_before_ms      INTEGER NOT NULL DEFAULT 0,
  locked_until_ms    INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, user_id)
) WITHOUT ROWID;

CREATE TABLE totp_credentials (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  tenant     TEXT    NOT NULL,
  user_id    TEXT    NOT NULL,
  state      TEXT    NOT NULL CHECK (state IN ('pending', 'active')),
  seed_ref   TEXT    NOT NULL,
  alg        TEXT    NOT NULL CHECK (alg IN ('SHA1', 'SHA256', 'SHA512')),
  digits     INTEGER NOT NULL CHECK (digits BETWEEN 6 AND 8),
  period     INTEGER NOT NULL CHECK (period > 0),
  last_step  INTEGER NOT NULL DEFAULT -1,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL DEFAULT 0
);

-- At most one pending and one active credential per user.
CREATE UNIQUE INDEX totp_credentials_one_per_state ON totp_credentials (tenant, user_id, state);
)sql";

// Version 2: email codes, at most one live code per user (the primary key), stored as a MAC.
constexpr std::string_view kV2 = R"sql(
CREATE TABLE email_codes (
  tenant     TEXT    NOT NULL,
  user_id    TEXT    NOT NULL,
  mac        TEXT    NOT NULL,
  issued_at  INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  attempts   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, user_id)
) WITHOUT ROWID;
)sql";

// Version 3: push devices and challenges.
constexpr std::string_view kV3 = R"sql(
CREATE TABLE push_devices (
  id         TEXT    PRIMARY KEY,
  tenant     TEXT    NOT NULL,
  user_id    TEXT    NOT NULL,
  name       TEXT    NOT NULL,
  public_key TEXT    NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX push_devices_user ON push_devices (tenant, user_id);

CREATE TABLE push_challenges (
  id         TEXT    PRIMARY KEY,
  tenant     TEXT    NOT NULL,
  user_id    TEXT    NOT NULL,
  origin     TEXT    NOT NULL,
  ip         TEXT    NOT NULL,
  user_agent TEXT    NOT NULL,
  nonce      TEXT    NOT NULL,
  number     INTEGER NOT NULL DEFAULT 0,
  numbers    TEXT    NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  state      TEXT    NOT NULL CHECK (state IN ('pending', 'approved', 'denied')),
  method     TEXT    NOT NULL DEFAULT '',
  device_id  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX push_challenges_user ON push_challenges (tenant, user_id, created_at);
)sql";

constexpr Migration kMigrations[] = {{1, kV1}, {2, kV2}, {3, kV3}};

// 0 for a database that has never been migrated (no schema_version table yet).
Result<int> current_version(Connection& conn) {
  auto has_table = conn.query(
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
  if (!has_table) return std::move(has_table).error();
  auto row = has_table->step();
  if (!row) return std::move(row).error();
  if (!*row || has_table->int64(0) == 0) return 0;
  auto q = conn.query("SELECT coalesce(max(version), 0) FROM schema_version");
  if (!q) return std::move(q).error();
  row = q->step();
  if (!row) return std::move(row).error();
  return *row ? static_cast<int>(q->int64(0)) : 0;
}

Error newer_than_build(int version, int latest) {
  return make_error(Errc::config, "sqlite: database schema version " + std::to_string(version) +
                                      " is newer than this build supports (" +
                                      std::to_string(latest) + "); upgrade hsm2fa");
}

}  // namespace

std::span<const Migration> schema_migrations() noexcept { return kMigrations; }

Status migrate(Connection& conn, std::span<const Migration> migrations) {
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  auto version = current_version(conn);  // without the write lock: the usual case is current
  if (!version) return std::move(version).error();
  if (*version > latest) return newer_than_build(*version, latest);
  if (*version == latest) return {};

  for (const Migration& migration : migrations) {
    auto tx = WriteTransaction::begin(conn);
    if (!tx) return std::move(tx).error();
    if (auto ok = conn.exec("CREATE TABLE IF NOT EXISTS schema_version ("
                            " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
        !ok) {
      return ok;
    }
    version = current_version(conn);  // re-read under the write lock: another opener may have won
    if (!version) return std::move(version).error();
    if (*version > latest) return newer_than_build(*version, latest);
    if (*version >= migration.version) continue;
    if (*version != migration.version - 1) {
      return make_error(Errc::internal, "sqlite: migrations are not consecutive");
    }
    const std::string sql(migration.sql);
    if (auto ok = conn.exec(sql.c_str()); !ok) return ok;
    auto record =
        conn.query("INSERT INTO schema_version (version, applied_at) VALUES (?, unixepoch('now'))");
    if (!record) return std::move(record).error();
    if (auto ok = record->bind(migration.version).run(); !ok) return ok;
    if (auto ok = tx->commit(); !ok) return ok;
  }
  return {};
}

}  // namespace hsm2fa::store::sqlite
