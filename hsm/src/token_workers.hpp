// The threads that make PKCS#11 calls on behalf of callers waiting with a deadline (TokenGate).
// A PKCS#11 call cannot be cancelled, so a job can outlive the caller that gave up on it; each
// job owns what it uses. A thread is added whenever no thread is idle, up to `max_threads`: a
// fixed small pool could deadlock, since a job may wait for a session that a caller holds while
// that caller's next job waits for a thread. Threads stay until the workers go. The threads share
// their queue by reference count, so a job may drop the last reference to the object owning the
// workers (a TokenImpl) without a thread joining itself.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

namespace hsm2fa::hsm {

class TokenWorkers {
 public:
  explicit TokenWorkers(std::size_t max_threads);
  // Drops the queued jobs, lets the running ones finish and joins their threads (a thread that
  // runs this destructor itself is detached and ends after its job).
  ~TokenWorkers();
  TokenWorkers(const TokenWorkers&) = delete;
  TokenWorkers& operator=(const TokenWorkers&) = delete;

  // Queues `job`; after the destructor began it is dropped instead.
  void post(std::function<void()> job);

  // True on a worker thread: token work started there already runs under its caller's deadline.
  static bool on_worker_thread() noexcept;

  // Threads waiting for a job right now.
  std::size_t idle_threads() const;

 private:
  struct Queue;
  std::shared_ptr<Queue> queue_;
  std::size_t max_threads_;
  std::vector<std::thread> threads_;  // guarded by queue_->mutex
};

}  // namespace hsm2fa::hsm
