#include "bulk_import.hpp"

namespace hsm2fa::store::sqlite {

Status insert_totp_rows(Connection& c, std::span<const TotpCredential> rows) {
  for (const auto& row : rows) {
    if (row.tenant.empty() || row.user.empty() || row.seed.encoded.empty()) {
      return make_error(Errc::invalid_argument, "an imported credential needs tenant, user, seed");
    }
  }
  for (const auto& row : rows) {
    auto ins = c.query(
        "INSERT INTO totp_credentials (tenant, user_id, state, seed_ref, alg, digits, period,"
        " last_step, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!ins) return std::move(ins).error();
    ins->bind(row.tenant)
        .bind(row.user)
        .bind(row.state == CredentialState::active ? "active" : "pending")
        .bind(row.seed.encoded)
        .bind(to_string(row.alg))
        .bind(row.digits)
        .bind(row.period)
        .bind(row.last_step)
        .bind(row.created_at)
        .bind(row.expires_at);
    if (auto status = ins->run(); !status) return status;
  }
  return {};
}

}  // namespace hsm2fa::store::sqlite
