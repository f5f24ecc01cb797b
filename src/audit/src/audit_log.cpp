#include "hsm2fa/audit/audit_log.hpp"

#include <spdlog/spdlog.h>

#include <mutex>
#include <optional>

#include "file_io.hpp"
#include "group_sync.hpp"
#include "line_builder.hpp"
#include "recovery.hpp"

namespace hsm2fa::audit {

namespace {

// Disk space kept allocated past the end of audit.jsonl (topped up by ready() when half is
// used): the lines of the requests that passed ready() cannot then fail for a full disk, so a
// change is not made and then answered 503 for want of space. Room for about 800 lines.
constexpr std::uint64_t kReserveBytes = 256 * 1024;

}  // namespace

class AuditLog::Writer {
 public:
  Writer(AuditLogOptions options, std::shared_ptr<AuditKeys> keys,
         std::shared_ptr<const Clock> clock)
      : options_(std::move(options)), keys_(std::move(keys)), clock_(std::move(clock)) {}

  // Lines nobody waited for (a recovery line written by ready()) reach the disk before close.
  ~Writer() {
    GroupSync::Waiter waiter;
    {
      std::lock_guard lock(mutex_);
      enqueue_locked(&waiter);
    }
    if (auto status = sync_.wait(waiter); !status) {
      spdlog::error("audit: final sync failed: {}", status.error().message);
    }
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  Status open() {
    std::lock_guard lock(mutex_);
    return ensure_open_locked();
  }

  Status record(const AuditRecord& record) {
    GroupSync::Waiter waiter;
    {
      std::lock_guard lock(mutex_);
      if (auto status = ensure_open_locked(); !status) return unavailable(status.error());
      const std::string ts = rfc3339_ms(clock_->now());
      auto written = write_locked([&](std::uint64_t seq, const Digest& prev) {
        return event_object(seq, ts, options_.instance, record, prev);
      });
      if (!written) return written;
      if (checkpoint_due_locked()) {
        // The event is written already; a checkpoint that fails now is retried after the next
        // one, and the event still waits for its own sync below.
        if (auto status = checkpoint_locked(); !status) {
          spdlog::warn("audit: checkpoint failed, retrying with the next record: {}",
                       status.error().message);
        }
      }
      enqueue_locked(&waiter);
    }
    return synced(waiter);
  }

  Status ready() {
    std::lock_guard lock(mutex_);
    if (auto status = ensure_open_locked(); !status) return unavailable(status.error());
    if (auto status = file_->reserve(kReserveBytes); !status) {
      file_.reset();
      return unavailable(status.error());
    }
    return {};
  }

  Status checkpoint() {
    GroupSync::Waiter waiter;
    {
      std::lock_guard lock(mutex_);
      if (auto status = ensure_open_locked(); !status) return unavailable(status.error());
      if (lines_since_checkpoint_ == 0) return {};
      if (auto status = checkpoint_locked(); !status) return status;
      enqueue_locked(&waiter);
    }
    return synced(waiter);
  }

  ChainHead head() const {
    std::lock_guard lock(mutex_);
    return ChainHead{seq_, to_hex(chain_)};
  }

  AuditSyncStats sync_stats() const { return sync_.stats(); }

 private:
  static Error unavailable(const Error& error) {
    return make_error(Errc::audit_unavailable, error.message);
  }

  // Hands the lines written since the last enqueue to the group sync; `waiter` (may be null) is
  // woken once they are durable.
  void enqueue_locked(GroupSync::Waiter* waiter) {
    if (unqueued_lines_ == 0 && !waiter) return;
    sync_.enqueue(waiter, last_written_, std::exchange(unqueued_lines_, 0));
  }

  Status synced(GroupSync::Waiter& waiter) {
    if (auto status = sync_.wait(waiter); !status) return unavailable(status.error());
    return {};
  }

  // Opens audit.jsonl if it is not open, recovering seq and chain from disk first (also after an
  // in-process failure, which may have left a torn line). After a failed sync the file is
  // renamed away as it is (its last lines may not be on disk) and the new one starts with a
  // recovery line, as after a torn write.
  Status ensure_open_locked() {
    if (auto failure = sync_.take_failure()) {
      spdlog::error("audit: {}; moving the file aside", failure->message);
      file_.reset();
      rotate_unsynced_ = true;
    }
    if (file_ && !file_->still_at_path()) {
      spdlog::error("audit: {} was moved or removed under the writer; reopening",
                    (options_.dir / kCurrentFile).string());
      file_.reset();
    }
    if (file_) return {};
    auto recovered = recover(options_.dir);
    if (!recovered) return std::move(recovered).error();
    std::string& note = pending_note_;
    if (!recovered->torn.empty()) note += (note.empty() ? "" : "; ") + recovered->torn;
    if (opened_once_ && (recovered->seq != seq_ || recovered->chain != chain_)) {
      if (!note.empty()) note += "; ";
      note += "the files changed under the writer: expected head seq " + std::to_string(seq_) +
              ", found " + std::to_string(recovered->seq);
    }
    seq_ = recovered->seq;
    chain_ = recovered->chain;
    if (rotate_unsynced_ && recovered->current_first_seq != 0) {
      if (auto status = rotate_current(options_.dir, recovered->current_first_seq, false);
          !status) {
        return status;  // retried by the next call
      }
      if (!note.empty()) note += "; ";
      note +=
          "an fdatasync failed: the lines since the last successful sync were never "
          "acknowledged (the file is now named " +
          rotated_name(recovered->current_first_seq, false) + ")";
      recovered->current_first_seq = 0;
    } else if (rotate_unsynced_) {
      if (!note.empty()) note += "; ";
      note +=
          "an fdatasync failed: the lines since the last successful sync were never "
          "acknowledged";
    }
    rotate_unsynced_ = false;
    if (auto status = open_current_locked(); !status) return status;
    first_seq_ = recovered->current_first_seq != 0 ? recovered->current_first_seq : seq_ + 1;
    if (!opened_once_) last_checkpoint_ = clock_->now();
    opened_once_ = true;
    if (note.empty()) return {};
    spdlog::warn("audit: recovery: {}", note);
    const std::string ts = rfc3339_ms(clock_->now());
    auto status = write_locked([&](std::uint64_t seq, const Digest& prev) {
      return recovery_object(seq, ts, options_.instance, note, prev);
    });
    if (status) note.clear();
    enqueue_locked(nullptr);  // synced with the next batch; the caller's own line follows it
    return status;
  }

  Status open_current_locked() {
    auto file =
        AppendFile::open(options_.dir / kCurrentFile, options_.write_hook, options_.sync_hook);
    if (!file) return std::move(file).error();
    file_ = std::move(*file);
    // Best effort here (a line may still fit); ready() insists on the reserve before a change.
    (void)file_->reserve(kReserveBytes);
    return {};
  }

  // Seals and appends the line `build(seq, prev)`, rotating first if it would pass the size
  // bound. On failure nothing advances and the file is closed (reopened by the next call).
  template <class Build>
  Status write_locked(Build build) {
    const std::uint64_t seq = seq_ + 1;
    const std::string canonical = build(seq, chain_);
    const Digest chain = chain_of(chain_, canonical);
    auto seal = keys_->seal(chain);
    if (!seal) return make_error(Errc::audit_unavailable, "sealing: " + seal.error().message);
    const std::string line = sealed_line(canonical, chain, seal->span()) + "\n";
    if (file_->size() > 0 && file_->size() + line.size() > options_.rotate_bytes) {
      // The old file reaches the disk before its successor gets a line, so that a crash never
      // leaves a gap in the chain on disk.
      enqueue_locked(nullptr);
      auto status = sync_.sync_now(*file_);
      file_.reset();
      if (!status) return status;
      if (auto rotated = rotate_current(options_.dir, first_seq_, false); !rotated) return rotated;
      if (auto opened = open_current_locked(); !opened) return opened;
      first_seq_ = seq;
    }
    if (auto status = file_->append(line); !status) {
      file_.reset();
      return status;
    }
    if (last_written_ != file_) enqueue_locked(nullptr);  // lines of one file per enqueue
    last_written_ = file_;
    ++unqueued_lines_;
    seq_ = seq;
    chain_ = chain;
    ++lines_since_checkpoint_;
    return {};
  }

  bool checkpoint_due_locked() const {
    return lines_since_checkpoint_ >= options_.checkpoint_lines ||
           clock_->now() - last_checkpoint_ >= options_.checkpoint_seconds;
  }

  Status checkpoint_locked() {
    const std::uint64_t seq = seq_ + 1;
    const std::string ts = rfc3339_ms(clock_->now());
    const std::string head = to_hex(chain_);
    const std::string message = checkpoint_message(seq, ts, head);
    const Digest digest =
        sha256({reinterpret_cast<const std::uint8_t*>(message.data()), message.size()});
    auto sig = keys_->sign(digest);
    if (!sig) return make_error(Errc::audit_unavailable, "signing: " + sig.error().message);
    const std::string sig_base64 = base64(*sig);
    auto status = write_locked([&](std::uint64_t s, const Digest& prev) {
      return checkpoint_object(s, ts, options_.instance, head, sig_base64, prev);
    });
    if (!status) return status;
    lines_since_checkpoint_ = 0;
    last_checkpoint_ = clock_->now();
    return {};
  }

  const AuditLogOptions options_;
  const std::shared_ptr<AuditKeys> keys_;
  const std::shared_ptr<const Clock> clock_;
  mutable std::mutex mutex_;
  GroupSync sync_;
  std::shared_ptr<AppendFile> file_;          // audit.jsonl, while usable
  std::shared_ptr<AppendFile> last_written_;  // the file of the lines not yet enqueued
  std::uint64_t unqueued_lines_ = 0;
  bool opened_once_ = false;
  std::string pending_note_;      // a recovery not yet recorded: kept until its line is written
  bool rotate_unsynced_ = false;  // audit.jsonl failed a sync: rename it away before reopening
  std::uint64_t seq_ = 0;
  Digest chain_{};
  std::uint64_t first_seq_ = 1;  // of audit.jsonl, for its rotated name
  std::uint64_t lines_since_checkpoint_ = 0;
  std::chrono::system_clock::time_point last_checkpoint_{};
};

Result<std::unique_ptr<AuditLog>> AuditLog::open(AuditLogOptions options,
                                                 std::shared_ptr<AuditKeys> keys,
                                                 std::shared_ptr<const Clock> clock) {
  if (!keys || !clock) return make_error(Errc::internal, "audit log: keys and clock are required");
  if (options.instance.empty()) return make_error(Errc::config, "audit log: empty instance name");
  if (options.checkpoint_lines == 0) options.checkpoint_lines = 1;
  auto writer = std::make_unique<Writer>(std::move(options), std::move(keys), std::move(clock));
  if (auto status = writer->open(); !status) return std::move(status).error();
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(writer)));
}

AuditLog::AuditLog(std::unique_ptr<Writer> writer) : writer_(std::move(writer)) {}
AuditLog::~AuditLog() = default;

Status AuditLog::record(const AuditRecord& record) { return writer_->record(record); }
Status AuditLog::ready() { return writer_->ready(); }
Status AuditLog::checkpoint() { return writer_->checkpoint(); }
ChainHead AuditLog::head() const { return writer_->head(); }
AuditSyncStats AuditLog::sync_stats() const { return writer_->sync_stats(); }

}  // namespace hsm2fa::audit
