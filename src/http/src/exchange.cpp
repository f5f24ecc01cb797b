#include "hsm2fa/http/exchange.hpp"

#include <openssl/rand.h>

#include <array>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstring>

#include "hsm2fa/hex.hpp"

namespace hsm2fa::http {

std::string new_request_id() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    // The id is a correlation handle, not a secret: without the DRBG, time and a counter still
    // make it unique within this process.
    static std::atomic<std::uint64_t> counter{0};
    const std::uint64_t t = std::chrono::steady_clock::now().time_since_epoch().count();
    const std::uint64_t n = counter.fetch_add(1);
    std::memcpy(bytes.data(), &t, 8);
    std::memcpy(bytes.data() + 8, &n, 8);
  }
  return to_hex(bytes);
}

Response error_response(unsigned status, std::string_view code, std::string_view message,
                        std::int64_t retry_after) {
  boost::json::object error{{"code", code}, {"message", message}};
  if (retry_after > 0) error["retry_after"] = retry_after;
  Response response;
  response.status = status;
  response.body = boost::json::serialize(boost::json::object{{"error", std::move(error)}});
  response.request_id = new_request_id();
  response.retry_after = retry_after;
  return response;
}

}  // namespace hsm2fa::http
