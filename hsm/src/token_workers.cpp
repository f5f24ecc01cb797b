#include "token_workers.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

namespace hsm2fa::hsm {
namespace {

thread_local bool worker_thread = false;

}  // namespace

struct TokenWorkers::Queue {
  // A thread waiting for work. The most recently idle one is woken first: its caches (and
  // the module's data it touched) are still warm, and threads that are not needed stay asleep.
  struct Idle {
    std::condition_variable wake;
    bool woken = false;
  };

  std::mutex mutex;
  std::deque<std::function<void()>> jobs;
  std::vector<Idle*> idle;  // guarded by mutex; a waker removes the thread it wakes
  bool stopping = false;

  // Under `mutex`: hands a queued job to the thread that went idle last; false if none is idle.
  bool wake_one() {
    if (idle.empty()) return false;
    Idle* next = idle.back();
    idle.pop_back();
    next->woken = true;
    next->wake.notify_one();
    return true;
  }

  static void run(std::shared_ptr<Queue> queue) {
    worker_thread = true;
    Idle self;
    std::unique_lock lock(queue->mutex);
    while (true) {
      if (queue->jobs.empty() && !queue->stopping) {
        self.woken = false;
        queue->idle.push_back(&self);
        self.wake.wait(lock, [&] { return self.woken; });
      }
      if (queue->stopping) return;
      if (queue->jobs.empty()) continue;  // a busy thread took the job first
      auto job = std::move(queue->jobs.front());
      queue->jobs.pop_front();
      lock.unlock();
      job();
      job = nullptr;  // its captures die here, outside the lock; may end the workers' owner
      lock.lock();
    }
  }
};

TokenWorkers::TokenWorkers(std::size_t max_threads)
    : queue_(std::make_shared<Queue>()), max_threads_(max_threads == 0 ? 1 : max_threads) {}

TokenWorkers::~TokenWorkers() {
  std::deque<std::function<void()>> dropped;
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(queue_->mutex);
    queue_->stopping = true;
    dropped.swap(queue_->jobs);
    threads.swap(threads_);
    while (queue_->wake_one()) {
    }
  }
  dropped.clear();
  for (auto& thread : threads) {
    if (thread.get_id() == std::this_thread::get_id()) {
      thread.detach();
    } else {
      thread.join();
    }
  }
}

void TokenWorkers::post(std::function<void()> job) {
  {
    std::lock_guard lock(queue_->mutex);
    if (!queue_->stopping) {
      queue_->jobs.push_back(std::move(job));
      if (!queue_->wake_one() && threads_.size() < max_threads_) {
        threads_.emplace_back(&Queue::run, queue_);
      }
      return;
    }
  }
  job = nullptr;  // stopped: dropped outside the lock
}

bool TokenWorkers::on_worker_thread() noexcept { return worker_thread; }

std::size_t TokenWorkers::idle_threads() const {
  std::lock_guard lock(queue_->mutex);
  return queue_->idle.size();
}

}  // namespace hsm2fa::hsm
