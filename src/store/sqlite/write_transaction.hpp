// BEGIN IMMEDIATE ... COMMIT, rolled back when dropped uncommitted. IMMEDIATE takes the write
// lock up front, so a read-modify-write inside cannot interleave with another connection's.
#pragma once

#include "connection.hpp"

namespace hsm2fa::store::sqlite {

class WriteTransaction {
 public:
  static Result<WriteTransaction> begin(Connection& conn);
  ~WriteTransaction();
  WriteTransaction(WriteTransaction&& other) noexcept;
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  WriteTransaction& operator=(WriteTransaction&&) = delete;

  // Durable when ok (WAL with synchronous=FULL syncs the log on commit).
  Status commit();

 private:
  explicit WriteTransaction(Connection& conn) noexcept : conn_(&conn) {}
  Connection* conn_;  // null once committed or moved from
};

}  // namespace hsm2fa::store::sqlite
