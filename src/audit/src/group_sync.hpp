// Group commit of appended lines: one fdatasync serves every line written before it started.
//
// The writer appends a line under its own mutex and enqueues it here (with the file it went to),
// then lets go of its mutex and waits. A waiter that finds no sync running becomes the leader:
// it takes everything queued so far, syncs those files in the order they were written (a
// rotated-away file before its successor), and wakes every waiter of the batch with the outcome.
// Lines written while the leader waits on the disk queue up for the next batch, so the batch
// size follows the load and a lone writer pays one fdatasync per line, as without batching.
//
// A waiter is told ok only once every file its line may be in has synced. A failed sync fails
// its whole batch; the file then refuses every later sync (AppendFile::sync), so lines queued on
// it fail too, and take_failure() tells the writer to reopen and record a recovery line.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "file_io.hpp"
#include "hsm2fa/audit/audit_log.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::audit {

class GroupSync {
 public:
  // One caller's wait for its lines; lives on the caller's stack.
  struct Waiter {
    Status outcome;
    bool done = false;
  };

  // `lines` appended to `file` are to be synced; `waiter` (may be null: a line nobody waits
  // for, such as a recovery line written by ready()) is woken once they are.
  void enqueue(Waiter* waiter, const std::shared_ptr<AppendFile>& file, std::uint64_t lines);
  // Blocks until the waiter's lines are durable or their sync failed; leads a batch if none runs.
  Status wait(Waiter& waiter);
  // Syncs `file` now (before it is rotated away, so that files reach the disk in chain order).
  // A failure is reported to the writer like a failed batch.
  Status sync_now(AppendFile& file);
  // The first sync failure since the last call, if any: the writer must stop appending to the
  // file it has and record a recovery line.
  std::optional<Error> take_failure();

  AuditSyncStats stats() const;

 private:
  void note_failure_locked(const Error& error);

  mutable std::mutex mutex_;
  std::condition_variable finished_;
  std::vector<Waiter*> queue_;
  std::vector<std::shared_ptr<AppendFile>> files_;  // of the queued lines, in write order
  std::uint64_t lines_ = 0;                         // queued lines
  bool leading_ = false;
  std::optional<Error> failure_;
  AuditSyncStats stats_;
};

}  // namespace hsm2fa::audit
