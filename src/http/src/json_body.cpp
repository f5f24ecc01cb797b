#include "json_body.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "hsm2fa/secret.hpp"

namespace hsm2fa::http {

namespace json = boost::json;

JsonBody::JsonBody() : resource_(buffer_.data(), buffer_.size()), object_(&resource_) {}

JsonBody::~JsonBody() {
  object_ = json::object();
  secure_wipe(buffer_.data(), buffer_.size());
}

Status JsonBody::parse(std::string_view body, std::span<const std::string_view> known) {
  if (body.empty()) return {};
  json::parse_options options;
  options.max_depth = 8;
  std::error_code ec;
  json::value value = json::parse(body, ec, &resource_, options);
  if (ec) return make_error(Errc::invalid_argument, "the body is not valid JSON");
  if (!value.is_object()) return make_error(Errc::invalid_argument, "the body must be an object");
  object_ = std::move(value.as_object());
  for (const auto& field : object_) {
    if (std::find(known.begin(), known.end(), field.key()) == known.end()) {
      return make_error(Errc::invalid_argument,
                        "unknown field \"" + std::string(field.key()) + "\"");
    }
  }
  return {};
}

bool JsonBody::has(std::string_view key) const { return object_.contains(key); }

namespace {

Error wrong_type(std::string_view key, std::string_view type) {
  return make_error(Errc::invalid_argument,
                    "field \"" + std::string(key) + "\" must be " + std::string(type));
}

}  // namespace

Result<std::optional<std::string_view>> JsonBody::string(std::string_view key, bool null_ok) const {
  const json::value* v = object_.if_contains(key);
  if (!v || (null_ok && v->is_null())) return std::optional<std::string_view>();
  if (!v->is_string()) return wrong_type(key, "a string");
  return std::optional<std::string_view>(v->get_string());
}

Result<const json::array*> JsonBody::array(std::string_view key) const {
  const json::value* v = object_.if_contains(key);
  if (!v) return static_cast<const json::array*>(nullptr);
  if (!v->is_array()) return wrong_type(key, "an array");
  return &v->get_array();
}

Result<std::optional<bool>> JsonBody::boolean(std::string_view key) const {
  const json::value* v = object_.if_contains(key);
  if (!v) return std::optional<bool>();
  if (!v->is_bool()) return wrong_type(key, "true or false");
  return std::optional<bool>(v->get_bool());
}

Result<std::optional<std::int64_t>> JsonBody::integer(std::string_view key) const {
  const json::value* v = object_.if_contains(key);
  if (!v) return std::optional<std::int64_t>();
  if (v->is_int64()) return std::optional<std::int64_t>(v->get_int64());
  if (v->is_uint64()) return wrong_type(key, "a smaller integer");
  return wrong_type(key, "an integer");
}

std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  auto digits = [&](std::size_t pos, std::size_t n) -> std::optional<int> {
    if (pos + n > s.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  const auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
  const auto hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
      *second > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  std::int64_t offset = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    const auto oh = digits(pos + 1, 2), om = digits(pos + 4, 2);
    if (!oh || !om || pos + 3 >= s.size() || s[pos + 3] != ':' || *oh > 23 || *om > 59) {
      return std::nullopt;
    }
    offset = (*oh * 3600 + *om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = std::min(*second, 59);
  const std::int64_t t = timegm(&tm);
  // timegm normalises 2026-02-31 into March: refuse what did not round-trip.
  if (tm.tm_mday != *day || tm.tm_mon != *month - 1) return std::nullopt;
  return t - offset;
}

std::string format_rfc3339(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace hsm2fa::http
