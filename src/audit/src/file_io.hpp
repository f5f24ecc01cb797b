// Files of the audit log: an append-only descriptor whose appends become durable on sync(), and
// tail reads for recovery. Errors are Errc::audit_unavailable with the path and errno text.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "hsm2fa/result.hpp"

namespace hsm2fa::audit {

using WriteHook = std::function<long(int fd, const void* data, std::size_t size)>;
using SyncHook = std::function<int(int fd)>;

// O_APPEND descriptor, closed when the last owner lets go: a line's file stays open until the
// sync that covers it is done, even if the writer has rotated or dropped it meanwhile.
class AppendFile {
 public:
  // Creates the file (mode 0600) if missing, and then syncs the directory.
  static Result<std::shared_ptr<AppendFile>> open(const std::filesystem::path& path,
                                                  WriteHook write_hook, SyncHook sync_hook);
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  ~AppendFile();

  // write(2) until done; not durable until sync(). A failure may leave a torn tail behind.
  // One appender at a time (the caller serialises); may run concurrently with sync().
  Status append(std::string_view bytes);
  // fdatasync: everything appended before the call is durable when it returns ok. Once a sync
  // has failed, every later one fails too: the kernel reports a writeback error to one caller
  // only, and pages it could not write are not retried, so the file can never again be trusted
  // to hold what was appended to it. Thread-safe (syncs of one file are serialised).
  Status sync();
  // Makes sure at least bytes/2 (and after a top-up, `bytes`) past the end are allocated to
  // the file without changing its size (fallocate KEEP_SIZE), so that the appends they hold
  // cannot fail with ENOSPC. A file system without preallocation is not an error (nothing is
  // reserved there). Errors: the disk cannot hold the reserve. One caller at a time, like append.
  Status reserve(std::uint64_t bytes);
  std::uint64_t size() const noexcept { return size_; }
  const std::filesystem::path& path() const noexcept { return path_; }
  // The descriptor is still the file at its path: false once the file or its directory was
  // moved, removed or replaced, so that lines never go to a file nobody will read.
  bool still_at_path() const;

 private:
  AppendFile(std::filesystem::path path, int fd, std::uint64_t size, WriteHook write_hook,
             SyncHook sync_hook)
      : path_(std::move(path)),
        fd_(fd),
        size_(size),
        write_hook_(std::move(write_hook)),
        sync_hook_(std::move(sync_hook)) {}
  const std::filesystem::path path_;
  const int fd_;
  std::uint64_t size_;
  std::uint64_t reserved_end_ = 0;  // bytes allocated by reserve(), from offset 0
  bool can_reserve_ = true;
  const WriteHook write_hook_;
  const SyncHook sync_hook_;
  std::mutex sync_mutex_;
  std::optional<Error> sync_failure_;  // under sync_mutex_
};

// fsync of a directory, so that a create or rename in it is durable.
Status sync_dir(const std::filesystem::path& dir);

struct FileTail {
  std::optional<std::string> first_line;  // complete lines only, without '\n'
  std::optional<std::string> last_line;
  std::uint64_t torn_bytes = 0;  // bytes after the last '\n'
};
// Errc::audit_unavailable when unreadable or not a regular file.
Result<FileTail> read_tail(const std::filesystem::path& path);

Error io_error(std::string_view what, const std::filesystem::path& path, int error_number);

}  // namespace hsm2fa::audit
