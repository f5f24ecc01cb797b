#include "secret_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hsm2fa::app {

Result<SecretBytes> read_secret_line(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(Errc::config, file.string() + ": " + std::strerror(errno));
  constexpr std::size_t kMax = 256;
  SecretBytes buffer(kMax + 1);
  std::size_t size = 0;
  while (size < buffer.size()) {
    const ssize_t n = ::read(fd, buffer.data() + size, buffer.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return make_error(Errc::config, file.string() + ": " + std::strerror(err));
    }
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (size > kMax) return make_error(Errc::config, file.string() + ": longer than 256 bytes");
  std::size_t line = 0;
  while (line < size && buffer.data()[line] != '\n' && buffer.data()[line] != '\r') ++line;
  if (line == 0) return make_error(Errc::config, file.string() + ": empty");
  buffer.truncate(line);
  return buffer;
}

}  // namespace hsm2fa::app
