// The sealed audit log (DESIGN.md "Audit"): one JSON line per event, hash-chained, each chain
// value sealed with an HMAC under a token key, and periodically a checkpoint line signed by a
// token ECDSA key. Line format and the checkpoint message: README.md of this module.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hsm2fa/audit/audit_keys.hpp"
#include "hsm2fa/clock.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::audit {

// One event. Its fields are names and outcomes only: there is no field that could carry a seed,
// code, PIN or pairing URI, and none may be added.
struct AuditRecord {
  std::string request_id;
  std::string actor;   // peer uid/gid or certificate subject
  std::string action;  // "totp.enroll", "verify", …
  std::string tenant;
  std::string user;
  std::string outcome;  // "ok", "valid", "invalid", "error", …
  std::string reason;   // empty when none
  std::string ckr;      // the token's CKR_* name when the outcome came from the token; else empty
};

struct AuditLogOptions {
  std::filesystem::path dir;  // holds audit.jsonl and the rotated audit-<first seq>.jsonl
  std::string instance;       // names this service instance in every line
  std::uint64_t rotate_bytes = 64u << 20;
  std::uint64_t checkpoint_lines = 1000;        // audit.checkpoint_lines
  std::chrono::seconds checkpoint_seconds{60};  // audit.checkpoint_seconds
  // Tests only: replaces write(2), to inject ENOSPC or a short write. Same contract as write(2).
  std::function<long(int fd, const void* data, std::size_t size)> write_hook;
  // Tests only: replaces fdatasync(2), to inject EIO or hold a sync while lines queue up.
  std::function<int(int fd)> sync_hook;
};

// Group commit of the log (README.md "Durability"): how many lines each fdatasync covered.
struct AuditSyncStats {
  std::uint64_t syncs = 0;          // successful fdatasyncs
  std::uint64_t lines = 0;          // lines made durable by them (lines / syncs: the batching)
  std::uint64_t largest_batch = 0;  // lines in the largest batch
  std::uint64_t failed_syncs = 0;   // each failed every line of its batch
};

// Where the chain stands: the last line written.
struct ChainHead {
  std::uint64_t seq = 0;  // 0: nothing written yet
  std::string chain;      // hex SHA-256; 64 zeros before the first line
};

// Thread-safe. Lines are sealed, chained and written one at a time behind a mutex (seq assigned
// under it); the fdatasync that makes them durable runs outside it and serves every line written
// before it started (group commit), so concurrent records share one disk flush.
class AuditLog {
 public:
  // Recovers seq and chain from the newest file of `options.dir` (a torn last line is reported,
  // the file rotated away untouched, and the new file starts with a recovery line).
  // Errors: audit_unavailable (directory or file unusable), tampered (the last complete line does
  // not parse, so the chain cannot be continued).
  static Result<std::unique_ptr<AuditLog>> open(AuditLogOptions options,
                                                std::shared_ptr<AuditKeys> keys,
                                                std::shared_ptr<const Clock> clock);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one event line and returns ok only once it is durable (an fdatasync that started
  // after its write(2) succeeded); a due checkpoint follows it. Any failure, of the write or of
  // the sync that covered it, is Errc::audit_unavailable and the next call reopens the file
  // first (with a recovery line).
  Status record(const AuditRecord& record);
  // Whether a line could be written now, without writing one: the file is open, still the one
  // in `dir` (reopened, with recovery, if it was moved or replaced), the directory usable.
  // Also keeps disk space allocated past the end of the file for the next lines (fallocate,
  // where the file system has it), so that a full disk fails here rather than in the record()
  // after the change. Cheap (two stat calls; a fallocate now and then): callers ask before a
  // state change so that an unwritable log stops the change, not only its answer. A later
  // record() can still fail (an I/O error, the token refusing the seal), and is then 503.
  Status ready();
  // Writes a signed checkpoint of the current head now (e.g. at shutdown), if any line follows
  // the last checkpoint.
  Status checkpoint();
  ChainHead head() const;
  AuditSyncStats sync_stats() const;

 private:
  class Writer;
  explicit AuditLog(std::unique_ptr<Writer> writer);
  std::unique_ptr<Writer> writer_;
};

// The log's files in chain order: rotated files by first seq, then audit.jsonl.
std::vector<std::filesystem::path> audit_files(const std::filesystem::path& dir);

}  // namespace hsm2fa::audit
