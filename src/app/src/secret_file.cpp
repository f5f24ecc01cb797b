#include "secret_file.hpp"

#include <fcntl.h>
#include <termios.h>
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

Result<SecretBytes> prompt_secret_line(const char* prompt) {
  const int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return make_error(Errc::config, "no terminal to ask on: give the PIN in a file");
  termios saved{};
  const bool tty = ::tcgetattr(fd, &saved) == 0;
  if (tty) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  (void)!::write(fd, prompt, std::strlen(prompt));
  constexpr std::size_t kMax = 256;
  SecretBytes buffer(kMax + 1);
  std::size_t size = 0;
  while (size < buffer.size()) {
    const ssize_t n = ::read(fd, buffer.data() + size, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || buffer.data()[size] == '\n') break;
    ++size;
  }
  if (tty) ::tcsetattr(fd, TCSAFLUSH, &saved);
  (void)!::write(fd, "\n", 1);
  ::close(fd);
  if (size == 0 || size > kMax) return make_error(Errc::config, "no PIN given (1-256 bytes)");
  buffer.truncate(size);
  return buffer;
}

}  // namespace hsm2fa::app
