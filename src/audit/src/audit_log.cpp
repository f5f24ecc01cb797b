#include "hsm2fa/audit/audit_log.hpp"

#include <spdlog/spdlog.h>

#include <mutex>
#include <optional>

#include "file_io.hpp"
#include "line_builder.hpp"
#include "recovery.hpp"

namespace hsm2fa::audit {

class AuditLog::Writer {
 public:
  Writer(AuditLogOptions options, std::shared_ptr<AuditKeys> keys,
         std::shared_ptr<const Clock> clock)
      : options_(std::move(options)), keys_(std::move(keys)), clock_(std::move(clock)) {}

  Status open() {
    std::lock_guard lock(mutex_);
    return ensure_open_locked();
  }

  Status record(const AuditRecord& record) {
    std::lock_guard lock(mutex_);
    if (auto status = ensure_open_locked(); !status) return unavailable(status.error());
    const std::string ts = rfc3339_ms(clock_->now());
    auto written = write_locked([&](std::uint64_t seq, const Digest& prev) {
      return event_object(seq, ts, options_.instance, record, prev);
    });
    if (!written) return written;
    if (checkpoint_due_locked()) {
      // The event is durable already; a checkpoint that fails now is retried after the next one.
      if (auto status = checkpoint_locked(); !status) {
        spdlog::warn("audit: checkpoint failed, retrying with the next record: {}",
                     status.error().message);
      }
    }
    return {};
  }

  Status ready() {
    std::lock_guard lock(mutex_);
    if (auto status = ensure_open_locked(); !status) return unavailable(status.error());
    return {};
  }

  Status checkpoint() {
    std::lock_guard lock(mutex_);
    if (auto status = ensure_open_locked(); !status) return unavailable(status.error());
    if (lines_since_checkpoint_ == 0) return {};
    return checkpoint_locked();
  }

  ChainHead head() const {
    std::lock_guard lock(mutex_);
    return ChainHead{seq_, to_hex(chain_)};
  }

 private:
  static Error unavailable(const Error& error) {
    return make_error(Errc::audit_unavailable, error.message);
  }

  // Opens audit.jsonl if it is not open, recovering seq and chain from disk first (also after an
  // in-process failure, which may have left a torn line).
  Status ensure_open_locked() {
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
    auto file = AppendFile::open(options_.dir / kCurrentFile, options_.write_hook);
    if (!file) return std::move(file).error();
    file_.emplace(std::move(*file));
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
    return status;
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
      file_.reset();
      if (auto status = rotate_current(options_.dir, first_seq_, false); !status) return status;
      auto file = AppendFile::open(options_.dir / kCurrentFile, options_.write_hook);
      if (!file) return std::move(file).error();
      file_.emplace(std::move(*file));
      first_seq_ = seq;
    }
    if (auto status = file_->append(line); !status) {
      file_.reset();
      return status;
    }
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
  std::optional<AppendFile> file_;
  bool opened_once_ = false;
  std::string pending_note_;  // a recovery not yet recorded: kept until its line is written
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

}  // namespace hsm2fa::audit
