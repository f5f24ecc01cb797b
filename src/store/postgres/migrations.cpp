#include "migrations.hpp"

#include <string>

#include "transaction.hpp"

namespace hsm2fa::store::postgres {
namespace {

// Version 1: users (throttle and the 2FA switch) and TOTP credentials, as in SQLite's v1.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE users (
  tenant             TEXT    NOT NULL,
  user_id            TEXT    NOT NULL,
  two_factor_enabled BOOLEAN NOT NULL DEFAULT FALSE,
  disabled_reason    TEXT    NOT NULL DEFAULT '',
  disabled_until     BIGINT  NOT NULL DEFAULT 0,
  failures           INTEGER NOT NULL DEFAULT 0,
  not_before_ms      BIGINT  NOT NULL DEFAULT 0,
  locked_until_ms    BIGINT  NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, user_id)
);

CREATE TABLE totp_credentials (
  id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant     TEXT    NOT NULL,
  user_id    TEXT    NOT NULL,
  state      TEXT    NOT NULL CHECK (state IN ('pending', 'active')),
  seed_ref   TEXT    NOT NULL,
  alg        TEXT    NOT NULL CHECK (alg IN ('SHA1', 'SHA256', 'SHA512')),
  digits     INTEGER NOT NULL CHECK (digits BETWEEN 6 AND 8),
  period     INTEGER NOT NULL CHECK (period > 0),
  last_step  BIGINT  NOT NULL DEFAULT -1,
  created_at BIGINT  NOT NULL,
  expires_at BIGINT  NOT NULL DEFAULT 0
);

-- At most one pending and one active credential per user.
CREATE UNIQUE INDEX totp_credentials_one_per_state ON totp_credentials (tenant, user_id, state);
)sql";

// Version 2: email codes, as in SQLite's v2.
constexpr std::string_view kV2 = R"sql(
CREATE TABLE email_codes (
  tenant     TEXT    NOT NULL,
  user_id    TEXT    NOT NULL,
  mac        TEXT    NOT NULL,
  issued_at  BIGINT  NOT NULL,
  expires_at BIGINT  NOT NULL,
  attempts   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant, user_id)
);
)sql";

// Version 3: push devices and challenges, as in SQLite's v3.
constexpr std::string_view kV3 = R"sql(
CREATE TABLE push_devices (
  id         TEXT    PRIMARY KEY,
  tenant     TEXT    NOT NULL,
  user_id    TEXT    NOT NULL,
  name       TEXT    NOT NULL,
  public_key TEXT    NOT NULL,
  created_at BIGINT  NOT NULL
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
  created_at BIGINT  NOT NULL,
  expires_at BIGINT  NOT NULL,
  state      TEXT    NOT NULL CHECK (state IN ('pending', 'approved', 'denied')),
  method     TEXT    NOT NULL DEFAULT '',
  device_id  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX push_challenges_user ON push_challenges (tenant, user_id, created_at);
)sql";

constexpr Migration kMigrations[] = {{1, kV1}, {2, kV2}, {3, kV3}};

// 0 for a schema that has never been migrated (no schema_version table on the search_path).
Result<int> current_version(PgConnection& conn) {
  auto has_table = conn.query("SELECT to_regclass('schema_version') IS NOT NULL");
  if (!has_table) return std::move(has_table).error();
  if (has_table->rows() != 1 || !has_table->boolean(0, 0)) return 0;
  auto version = conn.query("SELECT coalesce(max(version), 0) FROM schema_version");
  if (!version) return std::move(version).error();
  return version->rows() == 1 ? static_cast<int>(version->int64(0, 0)) : 0;
}

Error newer_than_build(int version, int latest) {
  return make_error(Errc::config, "postgres: database schema version " + std::to_string(version) +
                                      " is newer than this build supports (" +
                                      std::to_string(latest) + "); upgrade hsm2fa");
}

}  // namespace

std::span<const Migration> schema_migrations() noexcept { return kMigrations; }

Status migrate(PgConnection& conn, std::span<const Migration> migrations) {
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  auto version = current_version(conn);  // without the lock: the usual case is current
  if (!version) return std::move(version).error();
  if (*version > latest) return newer_than_build(*version, latest);
  if (*version == latest) return {};

  for (const Migration& migration : migrations) {
    auto tx = Transaction::begin(conn);
    if (!tx) return std::move(tx).error();
    if (auto locked = conn.query("SELECT pg_advisory_xact_lock($1)", {kMigrationLock}); !locked) {
      return std::move(locked).error();
    }
    if (auto created = conn.query("CREATE TABLE IF NOT EXISTS schema_version ("
                                  " version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)");
        !created) {
      return std::move(created).error();
    }
    version = current_version(conn);  // re-read under the lock: another instance may have won
    if (!version) return std::move(version).error();
    if (*version > latest) return newer_than_build(*version, latest);
    if (*version >= migration.version) continue;
    if (*version != migration.version - 1) {
      return make_error(Errc::internal, "postgres: migrations are not consecutive");
    }
    const std::string sql(migration.sql);
    if (auto applied = conn.query(sql.c_str()); !applied) return std::move(applied).error();
    if (auto recorded = conn.query("INSERT INTO schema_version (version, applied_at)"
                                   " VALUES ($1, extract(epoch FROM now())::bigint)",
                                   {migration.version});
        !recorded) {
      return std::move(recorded).error();
    }
    if (auto ok = tx->commit(); !ok) return ok;
  }
  return {};
}

}  // namespace hsm2fa::store::postgres
