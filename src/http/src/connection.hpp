// One HTTP/1.1 connection: a coroutine reading requests with timeouts and limits, handing each
// to the worker pool, writing the answers, until the peer or the server ends it.
#pragma once

#include <boost/asio.hpp>
#include <cstdint>
#include <functional>
#include <memory>

#include "hsm2fa/http/request_handler.hpp"
#include "hsm2fa/http/server.hpp"

namespace hsm2fa::http {

// Shared between a connection and the server's registry. Touched only on the connection's
// strand (`executor`).
struct ConnectionControl {
  boost::asio::any_io_executor executor;
  bool busy = false;             // between the first byte of a request and its answer
  std::function<void()> cancel;  // set while the coroutine lives: aborts the pending read
};

// What a connection needs from its server.
class ConnectionHost {
 public:
  virtual const ServerConfig& config() const = 0;
  virtual const RequestHandler& handler() const = 0;
  virtual boost::asio::thread_pool& workers() = 0;
  virtual bool stopping() const = 0;
  virtual void connection_started(std::uint64_t id, std::shared_ptr<ConnectionControl> c) = 0;
  virtual void connection_ended(std::uint64_t id) = 0;

 protected:
  ~ConnectionHost() = default;
};

void start_connection(ConnectionHost& host, boost::asio::local::stream_protocol::socket socket,
                      Peer::Transport transport, std::uint64_t id);
void start_connection(ConnectionHost& host, boost::asio::ip::tcp::socket socket,
                      Peer::Transport transport, std::uint64_t id);

}  // namespace hsm2fa::http
