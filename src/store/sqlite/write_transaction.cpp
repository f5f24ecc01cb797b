#include "write_transaction.hpp"

#include <utility>

namespace hsm2fa::store::sqlite {

Result<WriteTransaction> WriteTransaction::begin(Connection& conn) {
  if (auto ok = conn.exec("BEGIN IMMEDIATE"); !ok) return std::move(ok).error();
  return WriteTransaction(conn);
}

WriteTransaction::WriteTransaction(WriteTransaction&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)) {}

WriteTransaction::~WriteTransaction() {
  // A failed ROLLBACK leaves nothing better to do: SQLite rolls back on the next open.
  if (conn_ != nullptr) (void)conn_->exec("ROLLBACK");
}

Status WriteTransaction::commit() {
  if (conn_ == nullptr) return make_error(Errc::internal, "sqlite: commit without a transaction");
  if (auto ok = conn_->exec("COMMIT"); !ok) return ok;  // still open: the destructor rolls back
  conn_ = nullptr;
  return {};
}

}  // namespace hsm2fa::store::sqlite
