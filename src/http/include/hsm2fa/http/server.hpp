// The HTTP/1.1 server: one coroutine per connection on the I/O threads, every request handled
// on a separate worker pool (the handler blocks on token and database calls).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include "hsm2fa/http/listen_socket.hpp"
#include "hsm2fa/http/request_handler.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::http {

struct ServerConfig {
  std::size_t io_threads = 1;
  std::size_t worker_threads = 1;
  std::size_t max_connections = 1024;  // further connections wait in the kernel's queue
  std::chrono::milliseconds read_timeout{std::chrono::seconds(10)};  // one request, whole
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(60)};  // between requests
  std::chrono::milliseconds shutdown_grace{std::chrono::seconds(10)};
  std::size_t header_limit = 8 * 1024;
  std::size_t body_limit = kBodyLimit;
};

class Server {
 public:
  // Starts serving on every socket at once. invalid_argument for a config out of range.
  static Result<std::unique_ptr<Server>> start(const ServerConfig& config,
                                               std::shared_ptr<const RequestHandler> handler,
                                               std::vector<ListenSocket> sockets);
  virtual ~Server() = default;

  // Stops accepting, closes idle connections, lets in-flight requests finish within the grace
  // period, then stops the I/O threads and the worker pool. Idempotent; blocks.
  virtual void stop() = 0;
  virtual std::size_t open_connections() const = 0;
};

}  // namespace hsm2fa::http
