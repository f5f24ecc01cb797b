// The SQLite side of Store::import_totp_batch: one transaction's worth of rows.
#pragma once

#include <span>

#include "connection.hpp"
#include "hsm2fa/store.hpp"

namespace hsm2fa::store::sqlite {

// Inserts `rows` on `c`, inside the caller's write transaction (so all or none of them).
// invalid_argument before touching the database if a row lacks a tenant, user or seed.
Status insert_totp_rows(Connection& c, std::span<const TotpCredential> rows);

}  // namespace hsm2fa::store::sqlite
