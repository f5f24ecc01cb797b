#include "group_sync.hpp"

#include <algorithm>
#include <utility>

namespace hsm2fa::audit {

void GroupSync::enqueue(Waiter* waiter, const std::shared_ptr<AppendFile>& file,
                        std::uint64_t lines) {
  std::lock_guard lock(mutex_);
  if (waiter) queue_.push_back(waiter);
  if (file && (files_.empty() || files_.back() != file)) files_.push_back(file);
  lines_ += lines;
}

Status GroupSync::wait(Waiter& waiter) {
  std::unique_lock lock(mutex_);
  while (!waiter.done) {
    if (leading_) {
      finished_.wait(lock);
      continue;
    }
    // Our line is queued (no batch runs, and one that ran would have set done): lead.
    leading_ = true;
    std::vector<Waiter*> batch;
    batch.swap(queue_);
    std::vector<std::shared_ptr<AppendFile>> files;
    files.swap(files_);
    const std::uint64_t lines = std::exchange(lines_, 0);
    lock.unlock();
    Status synced;
    for (const auto& file : files) {
      synced = file->sync();  // the disk wait: later lines queue up meanwhile
      if (!synced) break;
    }
    files.clear();  // closes descriptors the writer has already let go of
    lock.lock();
    for (Waiter* w : batch) {
      w->outcome = synced;
      w->done = true;
    }
    if (synced) {
      ++stats_.syncs;
      stats_.lines += lines;
      stats_.largest_batch = std::max(stats_.largest_batch, lines);
    } else {
      note_failure_locked(synced.error());
    }
    leading_ = false;
    finished_.notify_all();  // the waiters of this batch, and one of the next to lead
  }
  return std::move(waiter.outcome);
}

Status GroupSync::sync_now(AppendFile& file) {
  Status synced = file.sync();
  std::lock_guard lock(mutex_);
  if (synced) {
    ++stats_.syncs;
  } else {
    note_failure_locked(synced.error());
  }
  return synced;
}

std::optional<Error> GroupSync::take_failure() {
  std::lock_guard lock(mutex_);
  return std::exchange(failure_, std::nullopt);
}

AuditSyncStats GroupSync::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void GroupSync::note_failure_locked(const Error& error) {
  ++stats_.failed_syncs;
  if (!failure_) failure_ = error;
}

}  // namespace hsm2fa::audit
