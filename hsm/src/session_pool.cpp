#include "session_pool.hpp"

namespace hsm2fa::hsm {

SessionPool::Lease::~Lease() {
  if (pool_ != nullptr && session_) pool_->give_back(std::move(session_), broken_);
}

Result<SessionPool::Lease> SessionPool::acquire() {
  std::unique_lock lock(mutex_);
  freed_.wait(lock, [&] { return !draining_ && (!idle_.empty() || open_ < bound_); });
  if (!idle_.empty()) {
    auto session = std::move(idle_.back());
    idle_.pop_back();
    ++leased_;
    return Lease(this, std::move(session));
  }
  ++open_;    // reserve the slot while opening outside the lock
  ++leased_;  // and count it as leased, so drain() waits for it
  const CK_SLOT_ID slot = slot_;
  lock.unlock();
  auto opened = Session::open(ck_, slot);
  lock.lock();
  if (!opened) {
    --open_;
    --leased_;
    freed_.notify_all();
    return std::move(opened).error();
  }
  return Lease(this, std::make_unique<Session>(std::move(opened).value()));
}

void SessionPool::give_back(std::unique_ptr<Session> session, bool broken) {
  std::unique_lock lock(mutex_);
  --leased_;
  if (broken) {
    --open_;
    lock.unlock();
    session.reset();  // C_CloseSession, outside the lock
    lock.lock();
  } else {
    idle_.push_back(std::move(session));
  }
  freed_.notify_all();  // a drain() may wait with acquirers
}

bool SessionPool::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  draining_ = true;
  if (freed_.wait_for(lock, timeout, [&] { return leased_ == 0; })) return true;
  draining_ = false;
  lock.unlock();
  freed_.notify_all();
  return false;
}

void SessionPool::resume(CK_SLOT_ID slot) {
  {
    std::lock_guard lock(mutex_);
    slot_ = slot;
    draining_ = false;
  }
  freed_.notify_all();
}

void SessionPool::set_slot(CK_SLOT_ID slot) {
  std::lock_guard lock(mutex_);
  slot_ = slot;
}

void SessionPool::drop_idle() {
  std::vector<std::unique_ptr<Session>> closing;
  {
    std::lock_guard lock(mutex_);
    closing.swap(idle_);
    open_ -= closing.size();
  }
  freed_.notify_all();
}

std::size_t SessionPool::open_count() const {
  std::lock_guard lock(mutex_);
  return open_;
}

std::size_t SessionPool::in_use_count() const {
  std::lock_guard lock(mutex_);
  return leased_;
}

}  // namespace hsm2fa::hsm
