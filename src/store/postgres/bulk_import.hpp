// The PostgreSQL side of Store::import_totp_batch: one transaction's worth of rows.
#pragma once

#include <span>

#include "connection.hpp"
#include "hsm2fa/store.hpp"

namespace hsm2fa::store::postgres {

// Inserts `rows` on `conn` in one transaction, committed before it returns ok (all or none).
// invalid_argument before touching the database if a row lacks a tenant, user or seed.
Status insert_totp_rows(PgConnection& conn, std::span<const TotpCredential> rows);

}  // namespace hsm2fa::store::postgres
