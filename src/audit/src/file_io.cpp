#include "file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

namespace hsm2fa::audit {
namespace {

// Closes on scope exit; for the read-only descriptors of this file.
struct Descriptor {
  int fd;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

Result<std::string> read_at(int fd, std::uint64_t offset, std::size_t size,
                            const std::filesystem::path& path) {
  std::string out(size, '\0');
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, out.data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("reading", path, errno);
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  return out;
}

}  // namespace

Error io_error(std::string_view what, const std::filesystem::path& path, int error_number) {
  return make_error(Errc::audit_unavailable,
                    std::string(what) + " " + path.string() + ": " + std::strerror(error_number));
}

Result<std::shared_ptr<AppendFile>> AppendFile::open(const std::filesystem::path& path,
                                                     WriteHook write_hook, SyncHook sync_hook) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("opening", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return io_error("reading", path, e);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return io_error("not a regular file:", path, EINVAL);
  }
  if (auto status = sync_dir(path.parent_path()); !status) {
    ::close(fd);
    return std::move(status).error();
  }
  return std::shared_ptr<AppendFile>(new AppendFile(path, fd,
                                                    static_cast<std::uint64_t>(st.st_size),
                                                    std::move(write_hook), std::move(sync_hook)));
}

AppendFile::~AppendFile() { ::close(fd_); }

Status AppendFile::append(std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    errno = 0;
    long n = write_hook_ ? write_hook_(fd_, bytes.data() + done, bytes.size() - done)
                         : ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return io_error("writing", path_, n == 0 || errno == 0 ? EIO : errno);
    done += static_cast<std::size_t>(n);
    size_ += static_cast<std::uint64_t>(n);
  }
  return {};
}

Status AppendFile::reserve(std::uint64_t bytes) {
  if (!can_reserve_ || reserved_end_ >= size_ + bytes / 2) return {};
  int rc = 0;
  do {
    rc =
        ::fallocate(fd_, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(size_), static_cast<off_t>(bytes));
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) {
    reserved_end_ = size_ + bytes;
    return {};
  }
  if (errno == EOPNOTSUPP || errno == ENOSYS) {
    can_reserve_ = false;
    return {};
  }
  return io_error("reserving space in", path_, errno);
}

Status AppendFile::sync() {
  std::lock_guard lock(sync_mutex_);
  if (sync_failure_) return *sync_failure_;
  int rc = 0;
  do {
    errno = 0;
    rc = sync_hook_ ? sync_hook_(fd_) : ::fdatasync(fd_);
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) return {};
  sync_failure_ = io_error("syncing", path_, errno == 0 ? EIO : errno);
  return *sync_failure_;
}

bool AppendFile::still_at_path() const {
  struct stat open_file {};
  struct stat at_path {};
  if (::fstat(fd_, &open_file) != 0 || ::stat(path_.c_str(), &at_path) != 0) return false;
  return open_file.st_dev == at_path.st_dev && open_file.st_ino == at_path.st_ino;
}

Status sync_dir(const std::filesystem::path& dir) {
  Descriptor d{::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd < 0) return io_error("opening directory", dir, errno);
  if (::fsync(d.fd) != 0) return io_error("syncing directory", dir, errno);
  return {};
}

Result<FileTail> read_tail(const std::filesystem::path& path) {
  Descriptor d{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (d.fd < 0) return io_error("opening", path, errno);
  struct stat st {};
  if (::fstat(d.fd, &st) != 0) return io_error("reading", path, errno);
  if (!S_ISREG(st.st_mode)) return io_error("not a regular file:", path, EINVAL);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  FileTail tail;
  if (size == 0) return tail;

  // The last complete line ends at the last '\n'; grow the window until its start is inside.
  std::uint64_t window = 64 * 1024;
  for (;;) {
    const std::uint64_t start = size > window ? size - window : 0;
    auto chunk = read_at(d.fd, start, static_cast<std::size_t>(size - start), path);
    if (!chunk) return std::move(chunk).error();
    const auto last_nl = chunk->rfind('\n');
    if (last_nl == std::string::npos && start > 0) {
      window *= 4;
      continue;
    }
    tail.torn_bytes = last_nl == std::string::npos ? chunk->size() : chunk->size() - last_nl - 1;
    if (last_nl == std::string::npos) break;
    const auto prev_nl = last_nl == 0 ? std::string::npos : chunk->rfind('\n', last_nl - 1);
    if (prev_nl == std::string::npos && start > 0) {
      window *= 4;
      continue;
    }
    const std::size_t from = prev_nl == std::string::npos ? 0 : prev_nl + 1;
    tail.last_line = chunk->substr(from, last_nl - from);
    break;
  }
  if (tail.last_line) {
    std::uint64_t window_head = 64 * 1024;
    for (;;) {
      auto chunk = read_at(d.fd, 0, static_cast<std::size_t>(std::min(window_head, size)), path);
      if (!chunk) return std::move(chunk).error();
      const auto nl = chunk->find('\n');
      if (nl != std::string::npos) {
        tail.first_line = chunk->substr(0, nl);
        break;
      }
      window_head *= 4;
    }
  }
  return tail;
}

}  // namespace hsm2fa::audit
