// BEGIN ... COMMIT on one connection, rolled back when dropped uncommitted.
#pragma once

#include "connection.hpp"

namespace hsm2fa::store::postgres {

class Transaction {
 public:
  static Result<Transaction> begin(PgConnection& conn);
  ~Transaction();
  Transaction(Transaction&& other) noexcept;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;

  // Durable when ok: the server answered COMMIT (with synchronous_commit on, its default, the
  // WAL is flushed first). A connection lost during COMMIT is store_unavailable: the outcome is
  // unknown, so the caller must not report success.
  Status commit();

 private:
  explicit Transaction(PgConnection& conn) noexcept : conn_(&conn) {}
  PgConnection* conn_;  // null once committed or moved from
};

}  // namespace hsm2fa::store::postgres
