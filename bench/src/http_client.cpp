#include "http_client.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "hsm2fa/secret.hpp"

namespace hsm2fa::bench {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Error transport(std::string what) { return make_error(Errc::internal, std::move(what)); }

}  // namespace

Result<ResponseHead> parse_response_head(std::string_view head) {
  ResponseHead out;
  const std::size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1.") {
    return transport("malformed status line");
  }
  unsigned status = 0;
  for (char c : status_line.substr(9, 3)) {
    if (c < '0' || c > '9') return transport("malformed status code");
    status = status * 10 + static_cast<unsigned>(c - '0');
  }
  out.status = status;
  out.close = status_line.substr(0, 8) == "HTTP/1.0";
  std::size_t at = line_end == std::string_view::npos ? head.size() : line_end + 2;
  while (at < head.size()) {
    const std::size_t end = std::min(head.find("\r\n", at), head.size());
    const std::string_view line = head.substr(at, end - at);
    at = end + 2;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-length")) {
      std::size_t n = 0;
      if (value.empty()) return transport("empty Content-Length");
      for (char c : value) {
        if (c < '0' || c > '9') return transport("malformed Content-Length");
        n = n * 10 + static_cast<std::size_t>(c - '0');
      }
      out.content_length = n;
    } else if (iequals(name, "transfer-encoding")) {
      return transport("chunked answers are not supported");
    } else if (iequals(name, "connection")) {
      out.close = iequals(value, "close");
    }
  }
  return out;
}

UnixHttpClient::~UnixHttpClient() { disconnect(); }

void UnixHttpClient::disconnect() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

Status UnixHttpClient::connect() {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = socket_.string();
  if (path.size() >= sizeof addr.sun_path) return transport("socket path too long");
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return transport(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    disconnect();
    return transport("connect " + path + ": " + std::strerror(e));
  }
  // A stuck daemon must not hang the bench forever.
  const timeval timeout{30, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return {};
}

Result<HttpAnswer> UnixHttpClient::call(std::string_view method, std::string_view target,
                                        std::string_view json_body) {
  std::string request;
  request.reserve(160 + json_body.size());
  request.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: localhost\r\n");
  if (!json_body.empty()) request.append("Content-Type: application/json\r\n");
  request.append("Content-Length: ").append(std::to_string(json_body.size())).append("\r\n\r\n");
  request.append(json_body);
  const bool reused = fd_ >= 0;
  if (!reused) {
    if (auto st = connect(); !st) return st.error();
  }
  auto answer = exchange(request);
  if (!answer && reused) {
    // The server may close an idle keep-alive connection at any time: one fresh attempt.
    disconnect();
    if (auto st = connect(); !st) return st.error();
    answer = exchange(request);
  }
  if (!answer) disconnect();
  return answer;
}

Result<HttpAnswer> UnixHttpClient::exchange(const std::string& request) {
  for (std::size_t sent = 0; sent < request.size();) {
    const ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return transport(std::string("send: ") + std::strerror(errno));
    sent += static_cast<std::size_t>(n);
  }
  char chunk[4096];
  auto read_more = [&]() -> Status {
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) return transport("connection closed by the daemon");
      if (n < 0) return transport(std::string("recv: ") + std::strerror(errno));
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return {};
    }
  };
  std::size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (buffer_.size() > 64 * 1024) return transport("response head too large");
    if (auto st = read_more(); !st) return st.error();
  }
  auto head = parse_response_head(std::string_view(buffer_).substr(0, head_end));
  if (!head) return head.error();
  const std::size_t total = head_end + 4 + head->content_length;
  while (buffer_.size() < total) {
    if (auto st = read_more(); !st) return st.error();
  }
  HttpAnswer answer;
  answer.status = head->status;
  answer.body.assign(buffer_, head_end + 4, head->content_length);
  secure_wipe(buffer_.data(), total);
  buffer_.erase(0, total);
  if (head->close) disconnect();
  return answer;
}

}  // namespace hsm2fa::bench
