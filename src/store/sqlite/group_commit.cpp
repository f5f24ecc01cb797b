#include "group_commit.hpp"

#include <algorithm>
#include <exception>

#include "write_transaction.hpp"

namespace hsm2fa::store::sqlite {
namespace {

Error batch_error(const Error& cause) {
  return make_error(cause.code == Errc::conflict ? Errc::store_unavailable : cause.code,
                    "sqlite: the write's batch was not committed: " + cause.message);
}

}  // namespace

GroupCommitStats GroupCommit::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

std::size_t GroupCommit::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

Status GroupCommit::submit(Job& job) {
  std::unique_lock lock(mu_);
  queue_.push_back(&job);
  while (!job.done) {
    if (leading_) {
      finished_.wait(lock);
      continue;
    }
    leading_ = true;
    const std::size_t n = std::min(queue_.size(), kMaxBatch);
    std::vector<Job*> batch(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    lock.unlock();
    run_batch(batch);  // the disk wait: later writers queue up meanwhile
    lock.lock();
    for (Job* j : batch) j->done = true;
    leading_ = false;
    finished_.notify_all();  // the waiters of this batch, and one of the next to lead
  }
  return std::move(job.outcome);
}

bool GroupCommit::run_job(Job& job) noexcept {
  if (auto sp = conn_->exec("SAVEPOINT batch_write"); !sp) {
    job.outcome = std::move(sp).error();
    return false;
  }
  try {
    job.outcome = job.call(job.fn, *conn_);
  } catch (const std::exception& e) {
    job.outcome = make_error(Errc::internal, std::string("sqlite: write threw: ") + e.what());
  } catch (...) {
    job.outcome = make_error(Errc::internal, "sqlite: write threw");
  }
  if (!conn_->in_transaction()) return false;  // SQLite rolled the whole transaction back
  if (!job.outcome) {
    if (job.outcome.error().code == Errc::store_unavailable) return false;
    if (!conn_->exec("ROLLBACK TO batch_write")) return false;
  }
  return static_cast<bool>(conn_->exec("RELEASE batch_write"));
}

void GroupCommit::run_batch(const std::vector<Job*>& batch) noexcept {
  auto fail_all = [&](const Error& cause) {
    for (Job* j : batch) {
      if (j->outcome) j->outcome = batch_error(cause);
    }
  };
  auto tx = WriteTransaction::begin(*conn_);
  if (!tx) {
    fail_all(tx.error());
    std::lock_guard lock(mu_);
    ++stats_.failed_batches;
    return;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (run_job(*batch[i])) continue;
    // The transaction is gone or suspect: nothing of this batch may be reported ok. The jobs not
    // run yet never touched the database; they fail with the same cause.
    const Error cause = batch[i]->outcome ? conn_->error("savepoint") : batch[i]->outcome.error();
    fail_all(cause);
    std::lock_guard lock(mu_);
    ++stats_.failed_batches;
    return;  // tx rolls back
  }
  Status committed;
  try {
    committed = tx->commit();
  } catch (...) {
    committed = make_error(Errc::internal, "sqlite: commit threw");
  }
  std::lock_guard lock(mu_);
  if (!committed) {
    fail_all(committed.error());
    ++stats_.failed_batches;
    return;
  }
  ++stats_.commits;
  stats_.writes += batch.size();
  stats_.largest_batch = std::max<std::uint64_t>(stats_.largest_batch, batch.size());
}

}  // namespace hsm2fa::store::sqlite
