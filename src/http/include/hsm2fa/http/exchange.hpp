// One HTTP exchange as the pure request handler sees it: no sockets, no Beast types, so tests
// can drive the handler directly.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace hsm2fa::http {

// Who is on the other end. On the Unix socket the kernel's SO_PEERCRED uid/gid (never the pid:
// pids are reused); on loopback TCP there is no identity until client certificates exist.
struct Peer {
  enum class Transport { unix_socket, tcp };
  Transport transport = Transport::unix_socket;
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
};

struct Request {
  std::string method;        // "GET", "POST", ...
  std::string target;        // origin-form: path and optional query
  std::string content_type;  // empty when absent
  std::string body;          // may hold a code: the server wipes it after the exchange
};

// A long poll's answer that may be held back: the connection keeps it until `key` is published
// on the service's ChangeFeed (then asks the handler again) or `wait` has passed. `seen` is the
// feed's version read before the state was, so a change in between is never missed.
struct LongPoll {
  std::string key;
  std::uint64_t seen = 0;
  std::chrono::seconds wait{0};
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;  // may hold a pairing secret when `sensitive`: wiped after sending
  bool sensitive = false;
  std::string request_id;             // sent as X-Request-Id
  std::int64_t retry_after = 0;       // > 0: a Retry-After header (seconds)
  std::string allow;                  // 405: the Allow header
  std::optional<LongPoll> long_poll;  // set while the state polled for is still "pending"
};

// A fresh random 128-bit id as 32 lower-case hex digits.
std::string new_request_id();

// The API's error envelope {"error":{"code":...,"message":...}} with a fresh request id.
// A 429 also carries "retry_after" (and the header) when `retry_after` > 0.
Response error_response(unsigned status, std::string_view code, std::string_view message,
                        std::int64_t retry_after = 0);

}  // namespace hsm2fa::http
