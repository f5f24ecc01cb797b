// Files of the audit log: an append-only descriptor that is durable per append, and tail reads
// for recovery. Errors are Errc::audit_unavailable with the path and errno text.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "hsm2fa/result.hpp"

namespace hsm2fa::audit {

using WriteHook = std::function<long(int fd, const void* data, std::size_t size)>;

// O_APPEND descriptor, closed on destruction. Move-only.
class AppendFile {
 public:
  // Creates the file (mode 0600) if missing, and then syncs the directory.
  static Result<AppendFile> open(const std::filesystem::path& path, WriteHook hook);
  AppendFile(AppendFile&& other) noexcept;
  AppendFile& operator=(AppendFile&&) = delete;
  ~AppendFile();

  // write(2) until done, then fdatasync. A failure may leave a torn tail behind.
  Status append(std::string_view bytes);
  std::uint64_t size() const noexcept { return size_; }
  // The descriptor is still the file at its path: false once the file or its directory was
  // moved, removed or replaced, so that lines never go to a file nobody will read.
  bool still_at_path() const;

 private:
  AppendFile(std::filesystem::path path, int fd, std::uint64_t size, WriteHook hook)
      : path_(std::move(path)), fd_(fd), size_(size), hook_(std::move(hook)) {}
  std::filesystem::path path_;
  int fd_;
  std::uint64_t size_;
  WriteHook hook_;
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
