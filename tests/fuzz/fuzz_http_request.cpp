// Bytes off the socket through Beast's request parser (the limits the server sets) into the pure
// RequestHandler, with a scripted service behind it. Contract checked (API.md,
// request_handler.hpp): the handler never throws, always answers a status the API knows with a
// request id, and every JSON answer is a JSON object — an error envelope whenever the status is
// 4xx/5xx.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cstdint>
#include <cstdlib>
#include <memory>

#include "fake_service.hpp"
#include "hsm2fa/http/request_handler.hpp"
#include "hsm2fa/http/server.hpp"

namespace {

namespace bhttp = boost::beast::http;
namespace json = boost::json;
using namespace hsm2fa;
using namespace hsm2fa::http;

void require(bool condition) {
  if (!condition) std::abort();
}

constexpr std::uint32_t kDaemonUid = 4242;

Peer peer_for(unsigned knob) {
  switch (knob % 4) {
    case 0:
      return {Peer::Transport::unix_socket, kDaemonUid, kDaemonUid};
    case 1:
      return {Peer::Transport::unix_socket, 0, 0};
    case 2:
      return {Peer::Transport::unix_socket, 1234, 1234};
    default:
      return {Peer::Transport::tcp, std::nullopt, std::nullopt};
  }
}

std::optional<Error> failure_for(unsigned knob) {
  if (knob % 2 == 0) return std::nullopt;
  // Every Errc, invalid_argument (1) to internal (14).
  const auto code = static_cast<Errc>(1 + (knob / 2) % 14);
  Error e = make_error(code, "scripted");
  e.retry_after_seconds = (knob / 16) % 3;
  return e;
}

void check(const Response& r) {
  require(r.status >= 200 && r.status < 600);
  require(r.request_id.size() == 32);
  if (r.content_type != "application/json") return;
  boost::system::error_code ec;
  const json::value body = json::parse(r.body, ec);
  require(!ec && body.is_object());
  if (r.status >= 400) {
    const auto* error = body.as_object().if_contains("error");
    require(error != nullptr && error->is_object());
    require(error->as_object().contains("code") && error->as_object().contains("message"));
  }
}

}  // namespace

// Input: one knob byte (peer, scripted failure, health), then the raw request bytes.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const unsigned knob = data[0];
  static auto fake = std::make_shared<testing::FakeService>();
  static auto metrics = std::make_shared<Metrics>("0.0.0");
  static const RequestHandler handler(fake, AccessPolicy({}, kDaemonUid), metrics, "0.0.0");
  fake->fail = failure_for(knob);
  fake->health_answer.hsm_up = (knob & 0x40) == 0;
  fake->verify_answer.valid = (knob & 0x80) == 0;

  const ServerConfig limits;
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.header_limit));
  parser.body_limit(limits.body_limit);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data + 1, size - 1), ec);
  if (ec || !parser.is_done()) return 0;

  auto message = parser.release();
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  request.content_type = std::string(message[bhttp::field::content_type]);
  request.body = std::move(message.body());
  check(handler.handle(request, peer_for(knob)));
  return 0;
}
