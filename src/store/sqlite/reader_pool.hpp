// Read connections for concurrent readers. In WAL mode readers never wait for the writer and see
// the last committed state; a write reports ok only after its commit, so a caller reads its own
// writes. A lease hands one connection to one thread; connections are opened on demand (so the
// pool grows to the number of threads that read at once) and kept for reuse.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "connection.hpp"

namespace hsm2fa::store::sqlite {

class ReaderPool {
 public:
  class Lease {
   public:
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), conn_(std::move(other.conn_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() const noexcept { return *conn_; }
    Connection* operator->() const noexcept { return conn_.get(); }

   private:
    friend class ReaderPool;
    Lease(ReaderPool* pool, std::unique_ptr<Connection> conn) noexcept
        : pool_(pool), conn_(std::move(conn)) {}
    ReaderPool* pool_;
    std::unique_ptr<Connection> conn_;
  };

  explicit ReaderPool(std::string path) : path_(std::move(path)) {}
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  // An idle connection, or a new read-only one (store_unavailable if it cannot be opened).
  Result<Lease> acquire();

 private:
  void give_back(std::unique_ptr<Connection> conn);

  std::string path_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace hsm2fa::store::sqlite
