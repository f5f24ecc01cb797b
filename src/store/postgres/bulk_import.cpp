#include "bulk_import.hpp"

#include "transaction.hpp"

namespace hsm2fa::store::postgres {

Status insert_totp_rows(PgConnection& conn, std::span<const TotpCredential> rows) {
  for (const auto& row : rows) {
    if (row.tenant.empty() || row.user.empty() || row.seed.encoded.empty()) {
      return make_error(Errc::invalid_argument, "an imported credential needs tenant, user, seed");
    }
  }
  auto tx = Transaction::begin(conn);
  if (!tx) return std::move(tx).error();
  for (const auto& row : rows) {
    auto inserted = conn.query(
        "INSERT INTO totp_credentials (tenant, user_id, state, seed_ref, alg, digits, period,"
        " last_step, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        {row.tenant, row.user, row.state == CredentialState::active ? "active" : "pending",
         row.seed.encoded, to_string(row.alg), row.digits, row.period, row.last_step,
         row.created_at, row.expires_at});
    if (!inserted) return std::move(inserted).error();
  }
  return tx->commit();
}

}  // namespace hsm2fa::store::postgres
