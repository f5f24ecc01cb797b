#include "connection_pool.hpp"

#include <string>

namespace hsm2fa::store::postgres {

Lease::~Lease() {
  if (conn_) pool_->release(std::move(conn_));
}

Result<Lease> ConnectionPool::acquire(std::chrono::milliseconds wait) {
  std::unique_lock lock(mu_);
  if (!returned_.wait_for(lock, wait,
                          [&] { return !idle_.empty() || open_ < settings_.pool_size; })) {
    return make_error(Errc::store_unavailable,
                      "postgres: all " + std::to_string(settings_.pool_size) +
                          " pooled connections stayed busy; raise pool_size in store.url");
  }
  if (!idle_.empty()) {
    std::unique_ptr<PgConnection> conn = std::move(idle_.back());
    idle_.pop_back();
    conn->checked_out();
    return Lease(*this, std::move(conn));
  }
  ++open_;  // reserve the slot, then connect without holding the lock
  lock.unlock();
  auto conn = PgConnection::connect(settings_);
  if (!conn) {
    lock.lock();
    --open_;
    returned_.notify_one();
    return std::move(conn).error();
  }
  (*conn)->checked_out();
  return Lease(*this, std::move(conn).value());
}

void ConnectionPool::release(std::unique_ptr<PgConnection> conn) noexcept {
  const bool reusable = !conn->broken() && conn->idle();
  if (!reusable) conn.reset();  // closes the socket outside the lock
  {
    std::lock_guard lock(mu_);
    if (reusable) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
  }
  returned_.notify_one();
}

}  // namespace hsm2fa::store::postgres
