// The real server on a temporary Unix socket, with the fake service behind it.
#include "hsm2fa/http/server.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <filesystem>
#include <thread>

#include "fake_service.hpp"
#include "hsm2fa/http/listen_socket.hpp"

namespace hsm2fa::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using Local = asio::local::stream_protocol;

// A raw client socket whose reads give up after a few seconds, so a broken server fails the
// test instead of hanging it.
class RawClient {
 public:
  explicit RawClient(const std::filesystem::path& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawClient() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool connected() const { return connected_; }
  bool send(std::string_view data) {
    return ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }
  // Reads until the peer closes (true) or the safety timeout (false).
  bool read_until_closed(std::string& out) {
    char buf[4096];
    while (true) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        out.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0 || errno == ECONNRESET) return true;
      return false;  // EAGAIN: the safety timeout
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hsm2fa-http-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = dir_ / "s.sock";
  }
  void TearDown() override {
    if (server_) server_->stop();
    std::filesystem::remove_all(dir_);
  }
  void start(ServerConfig config = {}) {
    auto handler = std::make_shared<RequestHandler>(fake_, AccessPolicy({}, ::getuid()),
                                                    std::make_shared<Metrics>("t"), "t");
    auto socket = bind_unix_socket(path_, 0660);
    ASSERT_TRUE(socket.ok()) << socket.error().message;
    std::vector<ListenSocket> sockets;
    sockets.push_back(std::move(*socket));
    auto server = Server::start(config, handler, std::move(sockets));
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(*server);
  }
  Local::socket connect() {
    Local::socket s(ioc_);
    s.connect(Local::endpoint(path_.string()));
    timeval tv{5, 0};
    ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return s;
  }
  static bhttp::response<bhttp::string_body> exchange(Local::socket& s,
                                                      boost::beast::flat_buffer& buffer,
                                                      bhttp::verb verb, std::string target,
                                                      std::string body = "") {
    bhttp::request<bhttp::string_body> req{verb, target, 11};
    req.set(bhttp::field::host, "localhost");
    if (!body.empty()) req.set(bhttp::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
    bhttp::write(s, req);
    bhttp::response<bhttp::string_body> res;
    bhttp::read(s, buffer, res);
    return res;
  }

  asio::io_context ioc_;
  std::shared_ptr<testing::FakeService> fake_ = std::make_shared<testing::FakeService>();
  std::filesystem::path dir_, path_;
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnectionWithTheHeaders) {
  start();
  auto s = connect();
  boost::beast::flat_buffer buffer;
  auto a = exchange(s, buffer, bhttp::verb::get, "/v1/health");
  auto b = exchange(s, buffer, bhttp::verb::post, "/v1/tenants/default/users/bob/verify",
                    R"({"code":"123456"})");
  EXPECT_EQ(a.result_int(), 200);
  EXPECT_EQ(b.result_int(), 200);
  EXPECT_TRUE(b.keep_alive());
  EXPECT_EQ(fake_->last_user, "bob");
  for (const auto* res : {&a, &b}) {
    EXPECT_EQ((*res)[bhttp::field::cache_control], "no-store");
    EXPECT_EQ((*res)[bhttp::field::content_type], "application/json");
    EXPECT_EQ((*res)["X-Request-Id"].size(), 32u);
  }
  EXPECT_NE(a["X-Request-Id"], b["X-Request-Id"]);
}

TEST_F(ServerTest, SeveralThreadsServeConcurrentClients) {
  ServerConfig config;
  config.io_threads = 2;
  config.worker_threads = 2;
  start(config);
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int c = 0; c < 6; ++c) {
    clients.emplace_back([&] {
      asio::io_context ioc;
      Local::socket s(ioc);
      s.connect(Local::endpoint(path_.string()));
      boost::beast::flat_buffer buffer;
      for (int i = 0; i < 5; ++i) {
        if (exchange(s, buffer, bhttp::verb::get, "/v1/health").result_int() == 200) ++ok;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 30);
}

TEST_F(ServerTest, SocketGetsTheConfiguredMode) {
  start();
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST_F(ServerTest, OversizedBodyIs413FromTheHeaderAlone) {
  start();
  RawClient client(path_);
  ASSERT_TRUE(client.connected());
  // Announce 1 MiB and send none of it: the answer must come from the header.
  ASSERT_TRUE(
      client.send("POST /v1/tenants/default/users/bob/verify HTTP/1.1\r\nHost: x\r\n"
                  "Content-Type: application/json\r\nContent-Length: 1048576\r\n\r\n"));
  std::string answer;
  ASSERT_TRUE(client.read_until_closed(answer)) << "the server must answer and close";
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
  EXPECT_NE(answer.find("payload_too_large"), std::string::npos);
  EXPECT_NE(answer.find("Cache-Control: no-store"), std::string::npos);
  EXPECT_EQ(fake_->last_call, "") << "the service never saw it";
}

TEST_F(ServerTest, BodyAtTheLimitIsRead) {
  start();
  auto s = connect();
  boost::beast::flat_buffer buffer;
  // 16 KiB exactly of valid JSON: parsed, then refused for its unknown field, not for its size.
  std::string body = R"({"pad":")";
  body += std::string(16 * 1024 - body.size() - 2, 'x');
  body += "\"}";
  ASSERT_EQ(body.size(), 16u * 1024);
  auto res = exchange(s, buffer, bhttp::verb::post, "/v1/tenants/default/users/bob/verify", body);
  EXPECT_EQ(res.result_int(), 400);
}

TEST_F(ServerTest, SlowPartialRequestIsClosedAfterTheReadTimeout) {
  ServerConfig config;
  config.read_timeout = std::chrono::milliseconds(200);
  start(config);
  RawClient client(path_);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("GET /v1/health HTTP/1.1\r\nHost: x\r\n"));  // never finished
  std::string answer;
  EXPECT_TRUE(client.read_until_closed(answer)) << "still open after the safety timeout";
  EXPECT_TRUE(answer.empty()) << answer;
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosed) {
  ServerConfig config;
  config.idle_timeout = std::chrono::milliseconds(200);
  start(config);
  RawClient client(path_);
  ASSERT_TRUE(client.connected());
  std::string answer;
  EXPECT_TRUE(client.read_until_closed(answer));
}

TEST_F(ServerTest, ClientDisconnectMidRequestLeavesTheServerHealthy) {
  start();
  {
    RawClient client(path_);
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(
        client.send("POST /v1/tenants/default/users/bob/verify HTTP/1.1\r\nHost: x\r\n"
                    "Content-Type: application/json\r\nContent-Length: 20\r\n\r\n{\"co"));
  }
  auto s = connect();
  boost::beast::flat_buffer buffer;
  EXPECT_EQ(exchange(s, buffer, bhttp::verb::get, "/v1/health").result_int(), 200);
  EXPECT_EQ(fake_->last_call, "health");
}

TEST_F(ServerTest, MalformedRequestIs400AndClosed) {
  start();
  RawClient client(path_);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send("BLAH\x01 / HTTP/9\r\n\r\n"));
  std::string answer;
  ASSERT_TRUE(client.read_until_closed(answer));
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
}

TEST_F(ServerTest, ASecondServerOnALiveSocketIsRefusedAndAStaleOneReplaced) {
  start();
  auto again = bind_unix_socket(path_, 0660);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::conflict);
  server_->stop();
  server_.reset();
  // The file is left behind by a stopped server: stale, so it is replaced.
  auto fresh = bind_unix_socket(path_, 0600);
  EXPECT_TRUE(fresh.ok()) << fresh.error().message;
}

TEST_F(ServerTest, StopClosesIdleConnections) {
  start();
  auto s = connect();
  boost::beast::flat_buffer buffer;
  EXPECT_EQ(exchange(s, buffer, bhttp::verb::get, "/v1/health").result_int(), 200);
  server_->stop();
  EXPECT_EQ(server_->open_connections(), 0u);
  char c;
  EXPECT_LE(::recv(s.native_handle(), &c, 1, 0), 0) << "the idle connection was closed";
}

TEST(ListenSocketTest, NonLoopbackTcpIsRefused) {
  EXPECT_TRUE(check_loopback_address("127.0.0.1:8750").ok());
  EXPECT_TRUE(check_loopback_address("[::1]:8750").ok());
  EXPECT_TRUE(check_loopback_address("localhost:8750").ok());
  const auto refused = check_loopback_address("0.0.0.0:8750");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("TLS"), std::string::npos);
  EXPECT_FALSE(check_loopback_address("192.168.1.2:80").ok());
  EXPECT_FALSE(check_loopback_address("127.0.0.1").ok());
  EXPECT_FALSE(check_loopback_address("127.0.0.1:99999").ok());
}

}  // namespace
}  // namespace hsm2fa::http

namespace hsm2fa::http {
namespace {

TEST(NotifyTest, ReadyIsSentToTheNotifySocket) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("hsm2fa-notify-" + std::to_string(::getpid())))
          .string();
  ::unlink(path.c_str());
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::setenv("NOTIFY_SOCKET", path.c_str(), 1);
  notify_ready();
  ::unsetenv("NOTIFY_SOCKET");
  char buf[64] = {};
  const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  ::close(fd);
  ::unlink(path.c_str());
  EXPECT_EQ(std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0), "READY=1");
}

TEST(InheritedSocketsTest, NothingWithoutListenPidOfThisProcess) {
  ::setenv("LISTEN_PID", "1", 1);
  ::setenv("LISTEN_FDS", "1", 1);
  auto sockets = inherited_sockets();
  ASSERT_TRUE(sockets.ok());
  EXPECT_TRUE(sockets->empty()) << "another process's fds are not ours";
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
}

}  // namespace
}  // namespace hsm2fa::http
