#include "connection_settings.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <memory>
#include <vector>

namespace hsm2fa::store::postgres {
namespace {

constexpr std::string_view kPoolSize = "pool_size=";

struct ConninfoOptionsDeleter {
  void operator()(PQconninfoOption* options) const noexcept { PQconninfoFree(options); }
};

Error refuse_password() {
  return make_error(Errc::config,
                    "store.url: a PostgreSQL URL must not contain a password; put it in a "
                    "passfile (PGPASSFILE, ~/.pgpass or passfile=...) or a service file");
}

// user:password@ in the authority part, before libpq sees the URL (its parse errors may quote it).
bool has_userinfo_password(std::string_view url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return false;
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?"));
  const std::size_t at = rest.rfind('@');
  return at != std::string_view::npos && rest.substr(0, at).find(':') != std::string_view::npos;
}

// Splits off the query and removes pool_size from it; everything else is libpq's.
Result<std::string> take_pool_size(std::string_view url, int& pool_size) {
  const std::size_t question = url.find('?');
  if (question == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, question));
  std::string_view query = url.substr(question + 1);
  char separator = '?';
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (param.starts_with("password=") || param.starts_with("sslpassword=")) {
      return refuse_password();
    }
    if (param.starts_with(kPoolSize)) {
      const std::string_view digits = param.substr(kPoolSize.size());
      int value = 0;
      const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
      if (ec != std::errc{} || end != digits.data() + digits.size() || value < 1 ||
          value > kMaxPoolSize) {
        return make_error(Errc::config, "store.url: pool_size must be an integer from 1 to " +
                                            std::to_string(kMaxPoolSize));
      }
      pool_size = value;
      continue;
    }
    if (param.empty()) continue;
    out += separator;
    out += param;
    separator = '&';
  }
  return out;
}

}  // namespace

Result<ConnectionSettings> parse_connection_url(std::string_view url) {
  if (!url.starts_with("postgresql://") && !url.starts_with("postgres://")) {
    return make_error(Errc::config, "store.url: expected postgresql://...");
  }
  if (has_userinfo_password(url)) return refuse_password();
  ConnectionSettings settings;
  settings.pool_size = kDefaultPoolSize;
  auto conninfo = take_pool_size(url, settings.pool_size);
  if (!conninfo) return std::move(conninfo).error();
  settings.conninfo = std::move(*conninfo);

  char* raw_error = nullptr;
  std::unique_ptr<PQconninfoOption, ConninfoOptionsDeleter> options(
      PQconninfoParse(settings.conninfo.c_str(), &raw_error));
  if (!options) {
    std::string why = raw_error != nullptr ? raw_error : "out of memory";
    PQfreemem(raw_error);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    return make_error(Errc::config, "store.url: libpq cannot parse it: " + why);
  }
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0') continue;
    const std::string_view key = o->keyword;
    // Also catches a percent-encoded key. sslpassword unlocks the client key: a secret too.
    if (key == "password" || key == "sslpassword") return refuse_password();
    if (key == "host" || key == "hostaddr" || key == "port" || key == "dbname" || key == "user" ||
        key == "service") {
      if (!settings.description.empty()) settings.description += ' ';
      settings.description += std::string(key) + '=' + o->val;
    }
  }
  if (settings.description.empty()) settings.description = "libpq defaults";
  return settings;
}

}  // namespace hsm2fa::store::postgres
