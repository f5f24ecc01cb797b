// Listening sockets, bound before the server starts: a Unix socket at a path, a loopback TCP
// port, or the ones systemd passed (socket activation).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "hsm2fa/http/exchange.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::http {

// Owns a listening file descriptor; the server takes it over.
class ListenSocket {
 public:
  ListenSocket(int fd, Peer::Transport transport, std::string description)
      : fd_(fd), transport_(transport), description_(std::move(description)) {}
  ~ListenSocket();
  ListenSocket(ListenSocket&& other) noexcept;
  ListenSocket& operator=(ListenSocket&& other) noexcept;
  ListenSocket(const ListenSocket&) = delete;
  ListenSocket& operator=(const ListenSocket&) = delete;

  int release() noexcept;
  int fd() const noexcept { return fd_; }
  Peer::Transport transport() const noexcept { return transport_; }
  const std::string& description() const noexcept { return description_; }

 private:
  int fd_ = -1;
  Peer::Transport transport_;
  std::string description_;
};

// Binds `path` with a umask such that the socket is never more open than `mode`, then chmods it
// to `mode`. An existing path that accepts connections is a live daemon: refused (conflict).
// A stale socket file is removed; any other kind of file is refused.
Result<ListenSocket> bind_unix_socket(const std::filesystem::path& path, unsigned mode);

// "127.0.0.1:8750" or "[::1]:8750". Anything but a loopback address is refused: TLS with client
// certificates, which a non-loopback listener requires, is not implemented yet.
Result<ListenSocket> bind_tcp_loopback(std::string_view host_port);
// The same check without binding, for config validation.
Status check_loopback_address(std::string_view host_port);

// Sockets passed by systemd (LISTEN_PID == getpid(), LISTEN_FDS >= 1, starting at fd 3). Empty
// when not socket-activated. Clears the variables so children do not inherit them.
Result<std::vector<ListenSocket>> inherited_sockets();

// Sends "READY=1" to $NOTIFY_SOCKET if set (a datagram; no libsystemd). Best effort.
void notify_ready();

}  // namespace hsm2fa::http
