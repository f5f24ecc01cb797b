#include "token_uri.hpp"

#include <charconv>

namespace hsm2fa::hsm {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> percent_decode(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    int hi = i + 2 < in.size() ? hex_value(in[i + 1]) : -1;
    int lo = i + 2 < in.size() ? hex_value(in[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return make_error(Errc::config, "token URI: bad percent-encoding");
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

Error uri_error(std::string_view why) {
  return make_error(Errc::config, "token URI: " + std::string(why));
}

Status set_once(std::optional<std::string>& field, std::string_view name, std::string value) {
  if (field) return uri_error("attribute '" + std::string(name) + "' given twice");
  field = std::move(value);
  return {};
}

}  // namespace

Result<TokenUri> parse_token_uri(std::string_view uri) {
  constexpr std::string_view kScheme = "pkcs11:";
  if (uri.substr(0, kScheme.size()) != kScheme) return uri_error("must start with 'pkcs11:'");
  std::string_view path = uri.substr(kScheme.size());
  if (path.find_first_of("?#") != std::string_view::npos) {
    return uri_error("query and fragment parts are not supported");
  }
  TokenUri parsed;
  while (!path.empty()) {
    auto end = path.find(';');
    std::string_view part = path.substr(0, end);
    path = end == std::string_view::npos ? std::string_view{} : path.substr(end + 1);
    auto eq = part.find('=');
    if (eq == std::string_view::npos) return uri_error("attribute without '='");
    std::string_view name = part.substr(0, eq);
    auto value = percent_decode(part.substr(eq + 1));
    if (!value) return std::move(value).error();
    Status status;
    if (name == "token") {
      status = set_once(parsed.token, name, std::move(*value));
    } else if (name == "serial") {
      status = set_once(parsed.serial, name, std::move(*value));
    } else if (name == "manufacturer") {
      status = set_once(parsed.manufacturer, name, std::move(*value));
    } else if (name == "model") {
      status = set_once(parsed.model, name, std::move(*value));
    } else if (name == "slot-id") {
      if (parsed.slot_id) return uri_error("attribute 'slot-id' given twice");
      unsigned long id = 0;
      const std::string& text = *value;
      auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
      if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) {
        return uri_error("slot-id is not a decimal number");
      }
      parsed.slot_id = id;
    } else {
      return uri_error("unsupported attribute '" + std::string(name) + "'");
    }
    if (!status) return std::move(status).error();
  }
  return parsed;
}

bool matches(const TokenUri& uri, const TokenIdentity& identity) {
  if (uri.token && *uri.token != identity.token) return false;
  if (uri.serial && *uri.serial != identity.serial) return false;
  if (uri.manufacturer && *uri.manufacturer != identity.manufacturer) return false;
  if (uri.model && *uri.model != identity.model) return false;
  if (uri.slot_id && *uri.slot_id != identity.slot_id) return false;
  return true;
}

}  // namespace hsm2fa::hsm
