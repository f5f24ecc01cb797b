#include "token_workers.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>

namespace hsm2fa::hsm {
namespace {

thread_local bool worker_thread = false;

}  // namespace

struct TokenWorkers::Queue {
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::function<void()>> jobs;
  std::size_t idle = 0;
  bool stopping = false;

  static void run(std::shared_ptr<Queue> queue) {
    worker_thread = true;
    std::unique_lock lock(queue->mutex);
    while (true) {
      ++queue->idle;
      queue->ready.wait(lock, [&] { return queue->stopping || !queue->jobs.empty(); });
      --queue->idle;
      if (queue->stopping) return;
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
  }
  queue_->ready.notify_all();
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
      if (queue_->idle < queue_->jobs.size() && threads_.size() < max_threads_) {
        threads_.emplace_back(&Queue::run, queue_);
      } else {
        queue_->ready.notify_one();
      }
      return;
    }
  }
  job = nullptr;  // stopped: dropped outside the lock
}

bool TokenWorkers::on_worker_thread() noexcept { return worker_thread; }

}  // namespace hsm2fa::hsm
