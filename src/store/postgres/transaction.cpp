#include "transaction.hpp"

#include <utility>

namespace hsm2fa::store::postgres {

Result<Transaction> Transaction::begin(PgConnection& conn) {
  auto begun = conn.query("BEGIN");
  if (!begun) return std::move(begun).error();
  return Transaction(conn);
}

Transaction::Transaction(Transaction&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)) {}

Transaction::~Transaction() {
  // A failed ROLLBACK leaves the connection not idle, and the pool drops it.
  if (conn_ != nullptr && !conn_->broken()) (void)conn_->query("ROLLBACK");
}

Status Transaction::commit() {
  PgConnection* conn = std::exchange(conn_, nullptr);
  auto committed = conn->query("COMMIT");
  if (!committed) return std::move(committed).error();
  // An aborted transaction answers COMMIT with ROLLBACK rather than an error.
  if (committed->command() != "COMMIT") {
    return make_error(Errc::store_unavailable, "postgres: the transaction was rolled back");
  }
  return {};
}

}  // namespace hsm2fa::store::postgres
