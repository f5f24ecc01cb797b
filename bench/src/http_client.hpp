// A minimal blocking HTTP/1.1 client over a Unix socket with one keep-alive connection: what a
// load generator needs and nothing more, so its own cost stays small next to the daemon's.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "hsm2fa/result.hpp"

namespace hsm2fa::bench {

struct HttpAnswer {
  unsigned status = 0;
  std::string body;  // may hold a pairing secret: callers wipe it (secure_wipe) when done
};

// Parses one response head ("HTTP/1.1 200 OK\r\n...\r\n\r\n"): the status, the Content-Length
// (0 when absent) and whether the server will close the connection. nullopt-like failure is
// reported as Errc::internal. Exposed for tests.
struct ResponseHead {
  unsigned status = 0;
  std::size_t content_length = 0;
  bool close = false;
};
Result<ResponseHead> parse_response_head(std::string_view head);

class UnixHttpClient {
 public:
  explicit UnixHttpClient(std::filesystem::path socket) : socket_(std::move(socket)) {}
  ~UnixHttpClient();
  UnixHttpClient(const UnixHttpClient&) = delete;
  UnixHttpClient& operator=(const UnixHttpClient&) = delete;

  // Sends one request (JSON body if non-empty) and reads the whole answer. Connects lazily and
  // reconnects once if a kept-alive connection turns out to be closed. Errc::internal on any
  // transport failure.
  Result<HttpAnswer> call(std::string_view method, std::string_view target,
                          std::string_view json_body);

 private:
  Status connect();
  void disconnect() noexcept;
  Result<HttpAnswer> exchange(const std::string& request);

  std::filesystem::path socket_;
  int fd_ = -1;
  std::string buffer_;  // bytes read past the current answer (none with a well-behaved server)
};

}  // namespace hsm2fa::bench
