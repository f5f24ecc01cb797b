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
};

// Where the chain stands: the last line written.
struct ChainHead {
  std::uint64_t seq = 0;  // 0: nothing written yet
  std::string chain;      // hex SHA-256; 64 zeros before the first line
};

// Thread-safe: one writer behind a mutex, seq assigned under it (so group commit can later batch
// several records per fdatasync without changing the format).
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

  // Appends one event line (write(2) + fdatasync) before returning ok; a due checkpoint follows
  // it. Any failure is Errc::audit_unavailable and the next call reopens the file first.
  Status record(const AuditRecord& record);
  // Whether a line could be written now, without writing one: the file is open, still the one
  // in `dir` (reopened, with recovery, if it was moved or replaced), the directory usable.
  // Cheap (two stat calls): callers ask before a state change so that an unwritable log stops
  // the change, not only its answer. A later record() can still fail (disk full in between).
  Status ready();
  // Writes a signed checkpoint of the current head now (e.g. at shutdown), if any line follows
  // the last checkpoint.
  Status checkpoint();
  ChainHead head() const;

 private:
  class Writer;
  explicit AuditLog(std::unique_ptr<Writer> writer);
  std::unique_ptr<Writer> writer_;
};

// The log's files in chain order: rotated files by first seq, then audit.jsonl.
std::vector<std::filesystem::path> audit_files(const std::filesystem::path& dir);

}  // namespace hsm2fa::audit
