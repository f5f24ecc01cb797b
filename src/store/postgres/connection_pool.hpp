// A fixed-size pool of PgConnections, opened lazily and re-opened after a failure: a broken
// connection (server restart, network loss) or one left inside a transaction is closed when
// returned, and the next caller gets a fresh one. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "connection.hpp"
#include "connection_settings.hpp"

namespace hsm2fa::store::postgres {

class ConnectionPool;

// One caller's use of a connection; returns it to the pool when dropped.
class Lease {
 public:
  Lease(ConnectionPool& pool, std::unique_ptr<PgConnection> conn) noexcept
      : pool_(&pool), conn_(std::move(conn)) {}
  ~Lease();
  Lease(Lease&& other) noexcept = default;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  Lease& operator=(Lease&&) = delete;

  PgConnection& operator*() const noexcept { return *conn_; }
  PgConnection* operator->() const noexcept { return conn_.get(); }

 private:
  ConnectionPool* pool_;
  std::unique_ptr<PgConnection> conn_;
};

class ConnectionPool {
 public:
  explicit ConnectionPool(ConnectionSettings settings) : settings_(std::move(settings)) {}
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle connection, or a new one while fewer than pool_size are open; otherwise waits up
  // to `wait` for one to come back. store_unavailable if connecting fails or the wait ends.
  Result<Lease> acquire(std::chrono::milliseconds wait = std::chrono::seconds(10));

 private:
  friend class Lease;
  void release(std::unique_ptr<PgConnection> conn) noexcept;

  const ConnectionSettings settings_;
  std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;  // idle plus leased
};

}  // namespace hsm2fa::store::postgres
