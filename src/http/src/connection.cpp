#include "connection.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "hsm2fa/secret.hpp"
#include "routes.hpp"

namespace hsm2fa::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::redirect_error;
using asio::use_awaitable;

namespace {

Peer peer_of(asio::local::stream_protocol::socket& socket) {
  Peer peer;
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
    peer.uid = cred.uid;
    peer.gid = cred.gid;
  }
  return peer;
}

Peer peer_of(asio::ip::tcp::socket&) { return Peer{Peer::Transport::tcp, {}, {}}; }

// Answers that come from the connection itself (the request never reached the handler).
Response transport_error(const boost::system::error_code& ec) {
  if (ec == bhttp::error::body_limit) {
    return error_response(413, "payload_too_large",
                          "request bodies are limited to 16 KiB (2 MiB for bulk changes)");
  }
  if (ec == bhttp::error::header_limit) {
    return error_response(431, "header_too_large", "request headers are limited to 8 KiB");
  }
  return error_response(400, "invalid_request", "malformed HTTP request");
}

bool answerable(const boost::system::error_code& ec) {
  // A peer that went away or timed out gets no answer; a malformed request does.
  return ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

// The handler blocks on the token and the database: it runs on the worker pool, and the answer
// comes back through the caller's executor (the connection's strand).
template <class Token>
auto async_handle(ConnectionHost& host, std::shared_ptr<Request> request, Peer peer,
                  Token&& token) {
  auto initiation = [&host](auto completion, std::shared_ptr<Request> req, Peer who) {
    auto home = asio::get_associated_executor(completion);
    asio::post(host.workers(), [&host, req = std::move(req), who, home,
                                completion = std::move(completion)]() mutable {
      Response response = host.handler().handle(*req, who);
      asio::post(home,
                 [completion = std::move(completion), response = std::move(response)]() mutable {
                   std::move(completion)(std::move(response));
                 });
    });
  };
  return asio::async_initiate<Token, void(Response)>(std::move(initiation), token,
                                                     std::move(request), peer);
}

// A long poll: hold the answer until the polled state changes or the wait ends, on a timer, so
// a waiting client costs a coroutine frame and a timer, never a thread. The ChangeFeed wakes the
// timer; every wake (and, as a seam for changes made by other instances, every second) asks
// the handler again on the worker pool.
asio::awaitable<Response> hold_long_poll(ConnectionHost& host, std::shared_ptr<Request> request,
                                         Peer peer, Response response) {
  using Clock = std::chrono::steady_clock;
  constexpr auto kRecheck = std::chrono::seconds(1);
  auto feed = host.handler().change_feed();
  if (!feed || !response.long_poll) co_return response;
  const auto deadline = Clock::now() + response.long_poll->wait;
  auto executor = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(executor);
  while (response.long_poll && Clock::now() < deadline && !host.stopping()) {
    std::weak_ptr<asio::steady_timer> weak = timer;
    auto subscription = feed->subscribe(response.long_poll->key, [executor, weak] {
      asio::post(executor, [weak] {
        if (auto t = weak.lock()) t->cancel();
      });
    });
    if (feed->version() == response.long_poll->seen) {
      timer->expires_at(std::min(deadline, Clock::now() + kRecheck));
      boost::system::error_code ec;
      co_await timer->async_wait(redirect_error(use_awaitable, ec));
    }
    subscription.reset();
    response = co_await async_handle(host, request, peer, use_awaitable);
  }
  response.long_poll.reset();
  co_return response;
}

template <class Stream>
asio::awaitable<bool> write_response(Stream& stream, Response response, unsigned version,
                                     bool keep_alive, std::chrono::milliseconds timeout) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(response.status), version};
  if (!response.content_type.empty()) res.set(bhttp::field::content_type, response.content_type);
  res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Request-Id", response.request_id);
  if (response.retry_after > 0) {
    res.set(bhttp::field::retry_after, std::to_string(response.retry_after));
  }
  if (!response.allow.empty()) res.set(bhttp::field::allow, response.allow);
  res.body() = std::move(response.body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  stream.expires_after(timeout);
  boost::system::error_code ec;
  co_await bhttp::async_write(stream, res, redirect_error(use_awaitable, ec));
  if (response.sensitive) secure_wipe(res.body().data(), res.body().size());
  co_return !ec;
}

template <class Protocol>
asio::awaitable<void> serve(ConnectionHost& host, beast::basic_stream<Protocol> stream, Peer peer,
                            std::shared_ptr<ConnectionControl> control) {
  const ServerConfig& config = host.config();
  control->cancel = [&stream] { stream.cancel(); };
  beast::flat_buffer buffer;
  boost::system::error_code ec;
  while (!host.stopping()) {
    control->busy = false;
    if (buffer.size() == 0) {
      // Idle between requests: wait for the first byte of the next one.
      stream.expires_after(config.idle_timeout);
      const std::size_t n =
          co_await stream.async_read_some(buffer.prepare(1024), redirect_error(use_awaitable, ec));
      if (ec) break;
      buffer.commit(n);
    }
    control->busy = true;
    // From the first byte, the whole request must arrive within the read timeout.
    stream.expires_after(config.read_timeout);
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(config.header_limit));
    // Beast checks a Content-Length against the limit while parsing the header, before the
    // target can be looked at: read the header under the larger limit, then hold every route
    // but bulk to the small one (declared lengths here, chunked bodies as they are read).
    parser.body_limit(std::max(config.body_limit, kBulkBodyLimit));
    co_await bhttp::async_read_header(stream, buffer, parser, redirect_error(use_awaitable, ec));
    if (!ec && !is_bulk_target(parser.get().target())) {
      parser.body_limit(config.body_limit);
      const auto declared = parser.content_length();
      if (declared && *declared > config.body_limit) ec = bhttp::error::body_limit;
    }
    if (!ec && parser.get()[bhttp::field::expect] == "100-continue") {
      bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, parser.get().version()};
      co_await bhttp::async_write(stream, go_on, redirect_error(use_awaitable, ec));
    }
    if (!ec) co_await bhttp::async_read(stream, buffer, parser, redirect_error(use_awaitable, ec));
    if (ec) {
      if (answerable(ec)) {
        // The rest of the request is unread: answer and close rather than resynchronise.
        Response answer = transport_error(ec);
        host.handler().metrics().observe_request("unparsed", "other", answer.status, 0);
        co_await write_response(stream, std::move(answer), 11, false, config.read_timeout);
      }
      break;
    }

    auto message = parser.release();
    auto request = std::make_shared<Request>();
    request->method = std::string(message.method_string());
    request->target = std::string(message.target());
    request->content_type = std::string(message[bhttp::field::content_type]);
    request->body = std::move(message.body());
    const bool keep_alive = message.keep_alive();
    const unsigned version = message.version();

    Response response = co_await async_handle(host, request, peer, use_awaitable);
    if (response.long_poll) {
      control->busy = false;  // a waiting poll does not hold up shutdown's drain
      response = co_await hold_long_poll(host, request, peer, std::move(response));
      control->busy = true;
    }
    secure_wipe(request->body.data(), request->body.size());

    const bool again = keep_alive && !host.stopping();
    if (!co_await write_response(stream, std::move(response), version, again,
                                 config.read_timeout) ||
        !again) {
      break;
    }
  }
  control->cancel = nullptr;
  stream.socket().shutdown(Protocol::socket::shutdown_send, ec);
}

template <class Socket>
void start(ConnectionHost& host, Socket socket, Peer::Transport transport, std::uint64_t id) {
  using Protocol = typename Socket::protocol_type;
  Peer peer = peer_of(socket);
  peer.transport = transport;
  auto control = std::make_shared<ConnectionControl>();
  control->executor = socket.get_executor();
  host.connection_started(id, control);
  auto executor = socket.get_executor();
  asio::co_spawn(
      executor,
      serve<Protocol>(host, beast::basic_stream<Protocol>(std::move(socket)), peer, control),
      [&host, id](std::exception_ptr e) {
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            spdlog::error("connection {}: {}", id, ex.what());
          }
        }
        host.connection_ended(id);
      });
}

}  // namespace

void start_connection(ConnectionHost& host, asio::local::stream_protocol::socket socket,
                      Peer::Transport transport, std::uint64_t id) {
  start(host, std::move(socket), transport, id);
}

void start_connection(ConnectionHost& host, asio::ip::tcp::socket socket, Peer::Transport transport,
                      std::uint64_t id) {
  start(host, std::move(socket), transport, id);
}

}  // namespace hsm2fa::http
