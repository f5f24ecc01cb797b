// Request bodies: a JSON object with known fields of known types, nothing else. Unknown fields
// are refused (a typo in an admin call must not pass silently), as are wrong types.
#pragma once

#include <array>
#include <boost/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "hsm2fa/result.hpp"

namespace hsm2fa::http {

// Owns the parsed body. Its first bytes live in a buffer wiped on destruction, since a body may
// carry a code.
class JsonBody {
 public:
  JsonBody();
  ~JsonBody();
  JsonBody(const JsonBody&) = delete;
  JsonBody& operator=(const JsonBody&) = delete;

  // An empty body is an empty object. Errors: invalid_argument with a message for the caller.
  Status parse(std::string_view body, std::span<const std::string_view> known_fields);

  bool has(std::string_view key) const;
  // Each: nullopt when absent (or null if `null_ok`); invalid_argument when of the wrong type.
  Result<std::optional<std::string_view>> string(std::string_view key, bool null_ok = false) const;
  Result<std::optional<bool>> boolean(std::string_view key) const;
  Result<std::optional<std::int64_t>> integer(std::string_view key) const;
  // nullptr when absent; invalid_argument when not an array.
  Result<const boost::json::array*> array(std::string_view key) const;

 private:
  alignas(std::max_align_t) std::array<unsigned char, 2048> buffer_;
  boost::json::monotonic_resource resource_;
  boost::json::object object_;
};

// Unix seconds from an RFC 3339 date-time ("2026-01-31T12:00:00Z", offsets and fractions
// allowed); nullopt if malformed.
std::optional<std::int64_t> parse_rfc3339(std::string_view s);
// "2026-01-31T12:00:00Z"
std::string format_rfc3339(std::int64_t unix_seconds);

}  // namespace hsm2fa::http
