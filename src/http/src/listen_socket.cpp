#include "hsm2fa/http/listen_socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>

namespace hsm2fa::http {

ListenSocket::~ListenSocket() {
  if (fd_ >= 0) ::close(fd_);
}

ListenSocket::ListenSocket(ListenSocket&& other) noexcept
    : fd_(other.release()), transport_(other.transport_), description_(other.description_) {}

ListenSocket& ListenSocket::operator=(ListenSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
    transport_ = other.transport_;
    description_ = other.description_;
  }
  return *this;
}

int ListenSocket::release() noexcept {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

namespace {

Error sys_error(Errc code, const std::string& what) {
  return make_error(code, what + ": " + std::strerror(errno));
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

bool someone_listens(const sockaddr_un& addr) {
  Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (probe.get() < 0) return false;
  return ::connect(probe.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

struct TcpAddress {
  sockaddr_storage storage{};
  socklen_t size = 0;
};

Result<TcpAddress> parse_loopback(std::string_view host_port) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string_view::npos) {
    return make_error(Errc::config, "expected HOST:PORT, e.g. 127.0.0.1:8750");
  }
  std::string host(host_port.substr(0, colon));
  const std::string_view port_text = host_port.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535) {
    return make_error(Errc::config, "the port must be 1 to 65535");
  }
  if (host == "localhost") host = "127.0.0.1";
  TcpAddress out;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(static_cast<std::uint16_t>(port));
    if (::inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &a6->sin6_addr) != 1) {
      return make_error(Errc::config, "not an IPv6 address: " + host);
    }
    if (!IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr)) {
      return make_error(Errc::config,
                        "only loopback may be bound: TLS with client certificates, which any "
                        "other address requires, is not implemented yet");
    }
    out.size = sizeof(sockaddr_in6);
    return out;
  }
  auto* a4 = reinterpret_cast<sockaddr_in*>(&out.storage);
  a4->sin_family = AF_INET;
  a4->sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &a4->sin_addr) != 1) {
    return make_error(Errc::config, "not an IP address: " + host);
  }
  if ((ntohl(a4->sin_addr.s_addr) >> 24) != 127) {
    return make_error(Errc::config,
                      "only loopback may be bound: TLS with client certificates, which any "
                      "other address requires, is not implemented yet");
  }
  out.size = sizeof(sockaddr_in);
  return out;
}

}  // namespace

Result<ListenSocket> bind_unix_socket(const std::filesystem::path& path, unsigned mode) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string p = path.string();
  if (p.empty() || p.size() >= sizeof addr.sun_path) {
    return make_error(Errc::config, "socket path too long (max 107 bytes): " + p);
  }
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);

  struct stat st {};
  if (::lstat(p.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return make_error(Errc::config, p + " exists and is not a socket");
    if (someone_listens(addr)) {
      return make_error(Errc::conflict, "another hsm2fad is listening on " + p);
    }
    if (::unlink(p.c_str()) != 0) return sys_error(Errc::config, "removing stale socket " + p);
  }

  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return sys_error(Errc::internal, "socket");
  // The umask makes the socket no more open than `mode` from its first instant; chmod then
  // sets exactly `mode`.
  const mode_t old_mask = ::umask(static_cast<mode_t>(~mode & 0777));
  const int bound = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int bind_errno = errno;
  ::umask(old_mask);
  if (bound != 0) {
    errno = bind_errno;
    return sys_error(Errc::config, "binding " + p);
  }
  if (::chmod(p.c_str(), static_cast<mode_t>(mode)) != 0) {
    return sys_error(Errc::config, "chmod " + p);
  }
  if (::listen(fd.get(), SOMAXCONN) != 0) return sys_error(Errc::config, "listen on " + p);
  return ListenSocket(fd.release(), Peer::Transport::unix_socket, "unix:" + p);
}

Status check_loopback_address(std::string_view host_port) {
  auto address = parse_loopback(host_port);
  if (!address) return address.error();
  return {};
}

Result<ListenSocket> bind_tcp_loopback(std::string_view host_port) {
  auto address = parse_loopback(host_port);
  if (!address) return address.error();
  Fd fd(::socket(address->storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return sys_error(Errc::internal, "socket");
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address->storage), address->size) != 0) {
    return sys_error(Errc::config, "binding " + std::string(host_port));
  }
  if (::listen(fd.get(), SOMAXCONN) != 0) return sys_error(Errc::config, "listen");
  return ListenSocket(fd.release(), Peer::Transport::tcp, "tcp:" + std::string(host_port));
}

Result<std::vector<ListenSocket>> inherited_sockets() {
  std::vector<ListenSocket> sockets;
  const char* pid = std::getenv("LISTEN_PID");
  const char* fds = std::getenv("LISTEN_FDS");
  if (!pid || !fds || std::strtol(pid, nullptr, 10) != ::getpid()) return sockets;
  const long count = std::strtol(fds, nullptr, 10);
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  constexpr int kFirst = 3;  // SD_LISTEN_FDS_START
  for (long i = 0; i < count; ++i) {
    const int fd = kFirst + static_cast<int>(i);
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    int domain = 0, listening = 0;
    socklen_t len = sizeof domain;
    if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) {
      return sys_error(Errc::config, "inherited fd " + std::to_string(fd));
    }
    len = sizeof listening;
    ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len);
    if (!listening) return make_error(Errc::config, "inherited fd is not a listening socket");
    if (domain == AF_UNIX) {
      sockets.emplace_back(fd, Peer::Transport::unix_socket, "systemd:fd" + std::to_string(fd));
      continue;
    }
    sockaddr_storage local{};
    len = sizeof local;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
    const bool loopback =
        (domain == AF_INET &&
         (ntohl(reinterpret_cast<sockaddr_in*>(&local)->sin_addr.s_addr) >> 24) == 127) ||
        (domain == AF_INET6 &&
         IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr));
    if (!loopback) {
      return make_error(Errc::config,
                        "inherited TCP socket is not loopback: TLS is not implemented yet");
    }
    sockets.emplace_back(fd, Peer::Transport::tcp, "systemd:fd" + std::to_string(fd));
  }
  return sockets;
}

void notify_ready() {
  const char* target = std::getenv("NOTIFY_SOCKET");
  if (!target || !*target) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::size_t len = std::strlen(target);
  if (len >= sizeof addr.sun_path) return;
  std::memcpy(addr.sun_path, target, len);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return;
  static constexpr char kReady[] = "READY=1";
  ::sendto(fd.get(), kReady, sizeof kReady - 1, MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
           static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len));
}

}  // namespace hsm2fa::http
