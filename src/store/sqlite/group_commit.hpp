// Group commit: concurrent writers' small transactions share one SQLite transaction and so one
// fsync. A writer queues its write and waits; whoever finds no batch running leads the next one:
// BEGIN IMMEDIATE, each queued write under its own SAVEPOINT, one COMMIT, then every waiter is
// woken with its own outcome. While a leader waits on the disk, the next writers queue up behind
// it, so the batch size follows the load and a lone writer pays exactly what it paid before.
//
// Contract of write(): `apply` runs on some thread of the batch (not necessarily the caller's),
// inside the batch transaction, on the writer connection, and must not call back into this
// object. It sees the effects of the writes queued before it in the same batch. Its result is
// returned only once the batch is durable (WAL with synchronous=FULL: the log is synced on
// COMMIT). A write that fails alone (its error is not store_unavailable: a constraint, a lost
// compare-and-set, a validation) is rolled back to its savepoint and fails only itself. A failure
// that may have cost the transaction (store_unavailable: disk full, I/O error, busy) or a failed
// COMMIT fails every write of the batch: nobody is told "ok" about state that is not on disk.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "connection.hpp"
#include "hsm2fa/store/group_commit_stats.hpp"

namespace hsm2fa::store::sqlite {

using store::GroupCommitStats;

class GroupCommit {
 public:
  // A batch holds at most this many writes, which bounds how long a write waits behind others.
  static constexpr std::size_t kMaxBatch = 256;

  explicit GroupCommit(std::unique_ptr<Connection> writer) noexcept : conn_(std::move(writer)) {}
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // `apply`: Connection& -> Result<T> (or Status). See the contract above.
  template <class F>
  auto write(F&& apply) -> std::invoke_result_t<F&, Connection&> {
    using R = std::invoke_result_t<F&, Connection&>;
    std::optional<R> out;
    auto run = [&](Connection& conn) -> Status {
      R result = apply(conn);
      if (!result) return std::move(result).error();
      out.emplace(std::move(result));
      return {};
    };
    Job job{&invoke<decltype(run)>, &run};
    if (Status st = submit(job); !st) return std::move(st).error();
    return std::move(*out);
  }

  GroupCommitStats stats() const;
  // Writes waiting for the next batch (not the one being committed).
  std::size_t queued() const;

 private:
  struct Job {
    Status (*call)(void* fn, Connection& conn);
    void* fn;
    Status outcome;
    bool done = false;
  };

  template <class Fn>
  static Status invoke(void* fn, Connection& conn) {
    return (*static_cast<Fn*>(fn))(conn);
  }

  Status submit(Job& job);
  // Runs `batch` as one transaction and sets every job's outcome; never throws.
  void run_batch(const std::vector<Job*>& batch) noexcept;
  // Runs one job under its savepoint. false: the transaction can no longer be trusted.
  bool run_job(Job& job) noexcept;

  std::unique_ptr<Connection> conn_;  // used only by the current leader
  mutable std::mutex mu_;
  std::condition_variable finished_;
  std::vector<Job*> queue_;
  bool leading_ = false;
  GroupCommitStats stats_;
};

}  // namespace hsm2fa::store::sqlite
