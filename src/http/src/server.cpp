#include "hsm2fa/http/server.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include "connection.hpp"

namespace hsm2fa::http {

namespace asio = boost::asio;

namespace {

class ServerImpl final : public Server, private ConnectionHost {
 public:
  ServerImpl(const ServerConfig& config, std::shared_ptr<const RequestHandler> handler)
      : config_(config), handler_(std::move(handler)), workers_(config.worker_threads) {}
  ~ServerImpl() override { stop(); }

  Status listen(std::vector<ListenSocket>& sockets) {
    for (auto& socket : sockets) {
      auto strand = asio::make_strand(ioc_);
      boost::system::error_code ec;
      if (socket.transport() == Peer::Transport::unix_socket) {
        auto acceptor = std::make_unique<asio::local::stream_protocol::acceptor>(strand);
        acceptor->assign(asio::local::stream_protocol(), socket.fd(), ec);
        if (ec) return make_error(Errc::config, socket.description() + ": " + ec.message());
        socket.release();
        asio::co_spawn(strand, accept_loop(*acceptor, Peer::Transport::unix_socket),
                       asio::detached);
        closers_.emplace_back(strand, [a = acceptor.get()] { a->close(); });
        unix_acceptors_.push_back(std::move(acceptor));
      } else {
        auto acceptor = std::make_unique<asio::ip::tcp::acceptor>(strand);
        const int fd = socket.fd();
        sockaddr_storage local{};
        socklen_t len = sizeof local;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len);
        const auto protocol =
            local.ss_family == AF_INET6 ? asio::ip::tcp::v6() : asio::ip::tcp::v4();
        acceptor->assign(protocol, fd, ec);
        if (ec) return make_error(Errc::config, socket.description() + ": " + ec.message());
        socket.release();
        asio::co_spawn(strand, accept_loop(*acceptor, Peer::Transport::tcp), asio::detached);
        closers_.emplace_back(strand, [a = acceptor.get()] { a->close(); });
        tcp_acceptors_.push_back(std::move(acceptor));
      }
      spdlog::info("listening on {}", socket.description());
    }
    return {};
  }

  void run() {
    for (std::size_t i = 0; i < config_.io_threads; ++i) {
      io_threads_.emplace_back([this] { ioc_.run(); });
    }
  }

  void stop() override {
    if (stopped_.exchange(true)) return;
    stopping_ = true;
    for (auto& [executor, close] : closers_) asio::post(executor, close);
    {
      std::unique_lock lock(mutex_);
      for (auto& [id, control] : registry_) {
        asio::post(control->executor, [c = control] {
          if (!c->busy && c->cancel) c->cancel();
        });
      }
      const auto deadline = std::chrono::steady_clock::now() + config_.shutdown_grace;
      if (!drained_.wait_until(lock, deadline, [this] { return registry_.empty(); })) {
        spdlog::warn("shutdown: {} connection(s) still busy after the grace period",
                     registry_.size());
      }
    }
    work_.reset();
    ioc_.stop();
    for (auto& t : io_threads_) t.join();
    io_threads_.clear();
    workers_.join();
  }

  std::size_t open_connections() const override {
    std::lock_guard lock(mutex_);
    return registry_.size();
  }

 private:
  const ServerConfig& config() const override { return config_; }
  const RequestHandler& handler() const override { return *handler_; }
  asio::thread_pool& workers() override { return workers_; }
  bool stopping() const override { return stopping_; }

  void connection_started(std::uint64_t id, std::shared_ptr<ConnectionControl> c) override {
    std::lock_guard lock(mutex_);
    registry_.emplace(id, std::move(c));
    // A connection accepted after stop() began is closed at its first idle point.
  }

  void connection_ended(std::uint64_t id) override {
    std::lock_guard lock(mutex_);
    registry_.erase(id);
    if (registry_.empty()) drained_.notify_all();
  }

  template <class Acceptor>
  asio::awaitable<void> accept_loop(Acceptor& acceptor, Peer::Transport transport) {
    asio::steady_timer pause(acceptor.get_executor());
    while (!stopping_) {
      boost::system::error_code ec;
      if (open_connections() >= config_.max_connections) {
        // Full: leave further clients in the kernel's queue until a connection ends.
        pause.expires_after(std::chrono::milliseconds(20));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      auto socket = co_await acceptor.async_accept(asio::make_strand(ioc_),
                                                   asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || stopping_) break;
        spdlog::warn("accept: {}", ec.message());
        pause.expires_after(std::chrono::milliseconds(100));  // EMFILE and the like
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        continue;
      }
      start_connection(*this, std::move(socket), transport, next_id_++);
    }
  }

  ServerConfig config_;
  std::shared_ptr<const RequestHandler> handler_;
  asio::thread_pool workers_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<std::uint64_t> next_id_{1};
  mutable std::mutex mutex_;
  std::condition_variable drained_;
  std::map<std::uint64_t, std::shared_ptr<ConnectionControl>> registry_;
  // Destroyed before the members above: pending coroutine frames die with the io_context.
  asio::io_context ioc_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
  std::vector<std::unique_ptr<asio::local::stream_protocol::acceptor>> unix_acceptors_;
  std::vector<std::unique_ptr<asio::ip::tcp::acceptor>> tcp_acceptors_;
  std::vector<std::pair<asio::any_io_executor, std::function<void()>>> closers_;
  std::vector<std::thread> io_threads_;
};

}  // namespace

Result<std::unique_ptr<Server>> Server::start(const ServerConfig& config,
                                              std::shared_ptr<const RequestHandler> handler,
                                              std::vector<ListenSocket> sockets) {
  if (config.io_threads < 1 || config.worker_threads < 1 || config.max_connections < 1) {
    return make_error(Errc::invalid_argument, "server: thread and connection counts must be >= 1");
  }
  if (sockets.empty()) return make_error(Errc::invalid_argument, "server: nothing to listen on");
  if (!handler) return make_error(Errc::invalid_argument, "server: no request handler");
  auto server = std::make_unique<ServerImpl>(config, std::move(handler));
  if (auto listening = server->listen(sockets); !listening) return listening.error();
  server->run();
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace hsm2fa::http
