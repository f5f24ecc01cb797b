#include "daemon_client.hpp"

#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace hsm2fa::app {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

Result<DaemonAnswer> call_daemon(const std::filesystem::path& socket, std::string_view method,
                                 const std::string& target, const std::string& json_body) {
  asio::io_context ioc;
  asio::local::stream_protocol::socket stream(ioc);
  boost::system::error_code ec;
  stream.connect(asio::local::stream_protocol::endpoint(socket.string()), ec);
  if (ec)
    return make_error(Errc::internal,
                      "cannot reach hsm2fad at " + socket.string() + ": " + ec.message());
  // A daemon that hangs must not hang the admin: give up after the token's worst case.
  const timeval timeout{30, 0};
  ::setsockopt(stream.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

  bhttp::request<bhttp::string_body> request{bhttp::string_to_verb(method), target, 11};
  request.set(bhttp::field::host, "localhost");
  request.set(bhttp::field::user_agent, "hsm2fa-cli");
  if (!json_body.empty()) request.set(bhttp::field::content_type, "application/json");
  request.body() = json_body;
  request.keep_alive(false);
  request.prepare_payload();
  bhttp::write(stream, request, ec);
  if (ec) return make_error(Errc::internal, "sending to hsm2fad: " + ec.message());

  boost::beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(1024 * 1024);
  bhttp::read(stream, buffer, parser, ec);
  if (ec) return make_error(Errc::internal, "reading from hsm2fad: " + ec.message());
  auto response = parser.release();
  DaemonAnswer answer;
  answer.status = response.result_int();
  answer.body = SecretBytes::from_string(response.body());
  secure_wipe(response.body().data(), response.body().size());
  return answer;
}

std::string user_target(std::string_view tenant, std::string_view user, std::string_view suffix) {
  auto encode = [](std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
      const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '@' ||
                         c == '+';
      if (plain) {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
      }
    }
    return out;
  };
  return "/v1/tenants/" + encode(tenant) + "/users/" + encode(user) + std::string(suffix);
}

}  // namespace hsm2fa::app
