#include "reader_pool.hpp"

namespace hsm2fa::store::sqlite {

ReaderPool::Lease::~Lease() {
  if (pool_ != nullptr && conn_ != nullptr) pool_->give_back(std::move(conn_));
}

Result<ReaderPool::Lease> ReaderPool::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
  }
  auto conn = Connection::open(path_);
  if (!conn) return std::move(conn).error();
  // A reader that tried to write would be a bug; SQLite refuses it rather than taking a lock.
  if (auto ok = (*conn)->exec("PRAGMA query_only=ON"); !ok) return std::move(ok).error();
  // One reader per concurrent request worker: a small page cache each (the OS caches the file
  // for all of them), so the pool's memory does not creep up as the database grows.
  if (auto ok = (*conn)->exec("PRAGMA cache_size=-512"); !ok) return std::move(ok).error();
  return Lease(this, std::move(conn).value());
}

void ReaderPool::give_back(std::unique_ptr<Connection> conn) {
  std::lock_guard lock(mu_);
  idle_.push_back(std::move(conn));
}

}  // namespace hsm2fa::store::sqlite
