#include "hsm2fa/app/config.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "hsm2fa/http/listen_socket.hpp"
#include "table_reader.hpp"

namespace hsm2fa::app {

namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Measured with scripts/bench.sh on 2 cores and SoftHSM2 (bench/README.md): more workers let the
// token work of some requests overlap the database fsyncs of others (group commit batches grow
// with them; 16 did best of 1, 4, 8, 16), and SoftHSM2 is fastest with one thread in the token.
constexpr std::int64_t kDefaultWorkerThreads = 16;
constexpr std::int64_t kDefaultTokenConcurrency = 1;

bool http_identifier(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char ch : s) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '@' || ch == '+' ||
                    ch == '-';
    if (!ok) return false;
  }
  return true;
}

unsigned parse_mode(TableReader& t) {
  const std::string text = t.string("socket_mode", "0660");
  unsigned mode = 0;
  if (text.empty() || text.size() > 4)
    throw ConfigError(t.key("socket_mode"), "must be octal, e.g. \"0660\"");
  for (char c : text) {
    if (c < '0' || c > '7') throw ConfigError(t.key("socket_mode"), "must be octal, e.g. \"0660\"");
    mode = mode * 8 + static_cast<unsigned>(c - '0');
  }
  if (mode > 0777) throw ConfigError(t.key("socket_mode"), "only permission bits (at most 0777)");
  if ((mode & 0600) != 0600) {
    throw ConfigError(t.key("socket_mode"), "the owner needs read and write (0600)");
  }
  return mode;
}

void read_server(TableReader t, const fs::path& base, AppConfig& c) {
  c.listen.unix_socket = t.path("unix_socket", "hsm2fa.sock", base);
  if (c.listen.unix_socket.empty()) throw ConfigError(t.key("unix_socket"), "must not be empty");
  if (c.listen.unix_socket.string().size() > 107) {
    throw ConfigError(t.key("unix_socket"), "longer than a socket path may be (107 bytes)");
  }
  c.listen.socket_mode = parse_mode(t);
  if (t.has("tcp")) {
    c.listen.tcp = t.string("tcp", "");
    if (auto ok = http::check_loopback_address(*c.listen.tcp); !ok) {
      throw ConfigError(t.key("tcp"), ok.error().message);
    }
  }
  for (const std::string& name : t.string_list("tcp_roles")) {
    const auto role = http::parse_role(name);
    if (!role) throw ConfigError(t.key("tcp_roles"), "unknown role \"" + name + "\"");
    c.access.tcp_roles.add(*role);
  }
  c.server.io_threads = static_cast<std::size_t>(t.integer("io_threads", 1, 1, 64));
  c.server.max_connections = static_cast<std::size_t>(t.integer("max_connections", 1024, 1, 65536));
  c.server.read_timeout = seconds(t.integer("read_timeout_seconds", 10, 1, 3600));
  c.server.idle_timeout = seconds(t.integer("idle_timeout_seconds", 60, 1, 86400));
  c.server.shutdown_grace = seconds(t.integer("shutdown_grace_seconds", 10, 0, 600));
  c.server.worker_threads =
      static_cast<std::size_t>(t.integer("worker_threads", kDefaultWorkerThreads, 1, 256));
  t.reject_unknown();
}

void read_hsm(TableReader t, const TableReader& server, const fs::path& base, AppConfig& c) {
  std::string module = t.string("module", "/usr/lib/softhsm/libsofthsm2.so");
  if (module.empty()) throw ConfigError(t.key("module"), "must not be empty");
  // A bare file name is left to the loader's search path; a relative path with a directory
  // part is relative to the config file.
  if (module.find('/') != std::string::npos && fs::path(module).is_relative()) {
    module = (base / module).lexically_normal().string();
  }
  c.token.module_path = module;
  c.token.token_uri = t.string("token", "pkcs11:token=hsm2fa");
  if (c.token.token_uri.rfind("pkcs11:", 0) != 0) {
    throw ConfigError(t.key("token"),
                      "must be a PKCS#11 URI (RFC 7512), e.g. \"pkcs11:token=hsm2fa\"");
  }
  c.token.pin_file = t.path("pin_file", "user.pin", base);
  if (c.token.pin_file.empty()) throw ConfigError(t.key("pin_file"), "must not be empty");
  c.token.custody = t.one_of("custody", "wrapped", {"wrapped", "token"}) == "token"
                        ? Custody::token
                        : Custody::wrapped;
  c.token.key_prefix = t.string("key_prefix", "hsm2fa");
  if (c.token.key_prefix.empty() || c.token.key_prefix.size() > 32) {
    throw ConfigError(t.key("key_prefix"), "must be 1 to 32 characters");
  }
  c.token.wrap_mechanism = t.one_of("wrap_mechanism", "CKM_AES_KEY_WRAP_PAD",
                                    {"CKM_AES_KEY_WRAP_PAD", "CKM_AES_KEY_WRAP"});
  c.token.sessions = static_cast<std::size_t>(t.integer("sessions", 4, 1, 256));
  c.token.key_cache_size =
      static_cast<std::size_t>(t.integer("key_cache_size", 10000, 0, 10000000));
  if (t.has("recycle_after_objects")) {
    c.token.recycle_after_objects =
        static_cast<std::size_t>(t.integer("recycle_after_objects", 0, 0, 1000000000));
    if (*c.token.recycle_after_objects > 0 && c.token.custody != Custody::wrapped) {
      throw ConfigError(t.key("recycle_after_objects"), "applies to custody = \"wrapped\" only");
    }
  }
  // The key's first home, still read: the workers do database work too now, so [server] owns it.
  if (t.has("worker_threads")) {
    if (server.has("worker_threads")) {
      throw ConfigError(t.key("worker_threads"), "set it in [server] only");
    }
    c.server.worker_threads = static_cast<std::size_t>(t.integer("worker_threads", 1, 1, 256));
  }
  c.service.token_concurrency =
      static_cast<int>(t.integer("token_concurrency", kDefaultTokenConcurrency, 1, 256));
  c.token.kek_rotation = t.one_of("kek_rotation", "off", {"off", "trusted"}) == "trusted"
                             ? hsm::KekRotation::trusted
                             : hsm::KekRotation::off;
  c.token.allow_public_kek = t.boolean("allow_public_kek", false);
  c.hsm_call_timeout = milliseconds(t.integer("call_timeout_ms", 2000, 1, 600000));
  c.token.call_timeout = c.hsm_call_timeout;
  c.token.breaker_failures = static_cast<unsigned>(t.integer("breaker_failures", 5, 1, 1000));
  c.token.breaker_backoff_min = milliseconds(t.integer("breaker_backoff_ms", 500, 1, 600000));
  c.token.breaker_backoff_max =
      milliseconds(t.integer("breaker_backoff_max_ms", 10000, 1, 3600000));
  if (c.token.breaker_backoff_max < c.token.breaker_backoff_min) {
    throw ConfigError(t.key("breaker_backoff_max_ms"), "must not be below breaker_backoff_ms");
  }
  t.reject_unknown();
}

std::string resolve_store_url(TableReader& t, const fs::path& base) {
  const std::string url = t.string("url", "sqlite:hsm2fa.db");
  constexpr std::string_view kSqlite = "sqlite:";
  if (url.rfind(kSqlite, 0) == 0) {
    fs::path file = url.substr(kSqlite.size());
    if (file.empty()) throw ConfigError(t.key("url"), "\"sqlite:\" needs a file path");
    if (file.is_relative()) file = (base / file).lexically_normal();
    return std::string(kSqlite) + file.string();
  }
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) return url;
  throw ConfigError(t.key("url"), "must start with \"sqlite:\" or \"postgresql://\"");
}

service::ExportPolicy export_policy(TableReader& t, service::ExportPolicy fallback) {
  const char* names[] = {"until_confirmed", "never", "always"};
  const std::string name =
      t.one_of("export_policy", names[static_cast<int>(fallback)], {names[0], names[1], names[2]});
  if (name == "never") return service::ExportPolicy::never;
  if (name == "always") return service::ExportPolicy::always;
  return service::ExportPolicy::until_confirmed;
}

// The [totp] keys a tenant may override, read over the given defaults.
service::TenantConfig read_tenant_totp(TableReader& t, service::TenantConfig base) {
  base.algorithm = *parse_hash_alg(
      t.one_of("algorithm", std::string(to_string(base.algorithm)), {"SHA1", "SHA256", "SHA512"}));
  base.digits = static_cast<int>(t.integer("digits", base.digits, 6, 8));
  if (base.digits == 7) throw ConfigError(t.key("digits"), "must be 6 or 8");
  base.period = static_cast<int>(t.integer("period", base.period, 15, 300));
  base.export_policy = export_policy(t, base.export_policy);
  return base;
}

// The [email] keys a tenant may override ([tenants.NAME.email]), read over the given defaults.
service::EmailPolicy read_email_policy(TableReader& t, service::EmailPolicy base) {
  base.enabled = t.boolean("enabled", base.enabled);
  base.delivery =
      t.one_of("delivery", base.delivery == service::EmailDelivery::caller ? "caller" : "smtp",
               {"smtp", "caller"}) == "caller"
          ? service::EmailDelivery::caller
          : service::EmailDelivery::smtp;
  base.digits = static_cast<int>(t.integer("digits", base.digits, 6, 8));
  if (base.digits == 7) throw ConfigError(t.key("digits"), "must be 6 or 8");
  base.ttl = seconds(t.integer("ttl_seconds", base.ttl.count(), 5, 3600));
  base.max_attempts = static_cast<int>(t.integer("max_attempts", base.max_attempts, 1, 10));
  base.resend_after =
      seconds(t.integer("resend_seconds", base.resend_after.count(), 0, base.ttl.count()));
  return base;
}

// The [push] keys a tenant may override ([tenants.NAME.push]), read over the given defaults.
service::PushPolicy read_push_policy(TableReader& t, service::PushPolicy base) {
  base.challenge_ttl =
      seconds(t.integer("challenge_ttl_seconds", base.challenge_ttl.count(), 10, 600));
  base.number_matching = t.boolean("number_matching", base.number_matching);
  base.max_challenges_per_minute = static_cast<int>(
      t.integer("max_challenges_per_minute", base.max_challenges_per_minute, 1, 60));
  return base;
}

void read_smtp(TableReader t, const fs::path& base, AppConfig& c) {
  SmtpRelayConfig& r = c.smtp;
  r.url = t.string("url", r.url);
  if (r.url.rfind("smtp://", 0) != 0 && r.url.rfind("smtps://", 0) != 0) {
    throw ConfigError(t.key("url"), "must start with smtp:// or smtps://");
  }
  r.from = t.string("from", r.from);
  const std::string tls =
      t.one_of("starttls", "opportunistic", {"opportunistic", "required", "off"});
  r.starttls = tls == "required" ? service::StartTls::required
               : tls == "off"    ? service::StartTls::off
                                 : service::StartTls::opportunistic;
  r.username = t.string("username", "");
  r.password_file = t.path("password_file", "", base);
  if (!r.username.empty() && r.password_file.empty()) {
    throw ConfigError(t.key("password_file"), "a username needs a password file");
  }
  r.timeout = seconds(t.integer("timeout_seconds", 10, 1, 300));
  r.subject = t.string("subject", r.subject);
  const fs::path template_file = t.path("template_file", "", base);
  if (!template_file.empty()) {
    std::ifstream in(template_file);
    if (!in) throw ConfigError(t.key("template_file"), "cannot read " + template_file.string());
    r.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (r.body.find("{code}") == std::string::npos) {
      throw ConfigError(t.key("template_file"), "the template has no {code}");
    }
  }
  t.reject_unknown();
}

std::string read_issuer(TableReader& t, std::string fallback) {
  std::string issuer = t.string("issuer", std::move(fallback));
  if (issuer.empty() || issuer.size() > 128)
    throw ConfigError(t.key("issuer"), "must be 1 to 128 bytes");
  for (unsigned char ch : issuer) {
    if (ch < 0x20 || ch == 0x7f || ch == ':') {
      throw ConfigError(t.key("issuer"), "no control characters and no ':'");
    }
  }
  return issuer;
}

void read_service(TableReader& root, const fs::path& base, AppConfig& c) {
  TableReader totp = root.table("totp");
  const service::TenantConfig defaults = read_tenant_totp(totp, service::TenantConfig{});
  c.service.window = static_cast<int>(totp.integer("window", 1, 0, 10));
  c.service.pending_ttl = seconds(totp.integer("pending_ttl_seconds", 600, 60, 7 * 24 * 3600));
  totp.reject_unknown();

  TableReader throttle = root.table("throttle");
  ThrottlePolicy& p = c.service.throttle;
  p.max_failures = static_cast<int>(throttle.integer("max_failures", 20, 1, 100));
  p.free_failures = static_cast<int>(throttle.integer("free_failures", 5, 0, p.max_failures));
  p.base = milliseconds(throttle.integer("base_ms", 1000, 1, 3600 * 1000));
  p.max_wait = milliseconds(throttle.integer("max_wait_ms", 300000, p.base.count(), 86400 * 1000));
  p.lock_for = seconds(throttle.integer("lock_seconds", 900, 1, 30 * 86400));
  throttle.reject_unknown();

  TableReader email = root.table("email");
  const service::EmailPolicy email_defaults = read_email_policy(email, service::EmailPolicy{});
  read_smtp(email.table("smtp"), base, c);
  email.reject_unknown();

  TableReader push = root.table("push");
  const service::PushPolicy push_defaults = read_push_policy(push, service::PushPolicy{});
  push.reject_unknown();

  TableReader tenants = root.table("tenants");
  c.service.tenants["default"] = defaults;
  c.service.tenants["default"].email = email_defaults;
  c.service.tenants["default"].push = push_defaults;
  c.service.tenants["default"].issuer = "hsm2fa";
  for (const std::string& name : tenants.keys()) {
    if (!http_identifier(name)) {
      throw ConfigError(tenants.key(name), "a tenant name is 1-128 of A-Z a-z 0-9 . _ @ + -");
    }
    TableReader tenant = tenants.table(name);
    service::TenantConfig config = read_tenant_totp(tenant, defaults);
    config.issuer = read_issuer(tenant, "hsm2fa");
    TableReader tenant_email = tenant.table("email");
    config.email = read_email_policy(tenant_email, email_defaults);
    tenant_email.reject_unknown();
    TableReader tenant_push = tenant.table("push");
    config.push = read_push_policy(tenant_push, push_defaults);
    tenant_push.reject_unknown();
    tenant.reject_unknown();
    c.service.tenants[name] = std::move(config);
  }
}

void read_access(TableReader& root, AppConfig& c) {
  if (!root.has("access")) return;
  TableReader access = root.table("access");
  c.access.configured = true;
  auto grant = [&](std::string_view role, http::RoleGrant& out) {
    TableReader t = access.table(role);
    out.uids = t.id_list("uids");
    out.gids = t.id_list("gids");
    t.reject_unknown();
  };
  grant("admin", c.access.admin);
  grant("enroller", c.access.enroller);
  grant("verifier", c.access.verifier);
  access.reject_unknown();
}

void read_log(TableReader t, const fs::path& base, AppConfig& c) {
  c.log.level = t.one_of("level", "info", {"trace", "debug", "info", "warn", "error"});
  c.log.file = t.path("file", "", base);
  t.reject_unknown();
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "hsm2fa";
  return name;
}

void read_audit(TableReader t, const fs::path& base, AppConfig& c) {
  c.audit.dir = t.path("dir", base.string(), base);
  if (c.audit.dir.empty()) throw ConfigError(t.key("dir"), "must not be empty");
  c.audit.instance = t.string("instance", host_name());
  if (!http_identifier(c.audit.instance)) {
    throw ConfigError(t.key("instance"), "1-128 of A-Z a-z 0-9 . _ @ + -");
  }
  c.audit.checkpoint_lines =
      static_cast<std::uint64_t>(t.integer("checkpoint_lines", 1000, 1, 1000000));
  c.audit.checkpoint_seconds = seconds(t.integer("checkpoint_seconds", 60, 1, 86400));
  constexpr std::int64_t kMiB = std::int64_t{1} << 20;
  c.audit.rotate_bytes =
      static_cast<std::uint64_t>(t.integer("rotate_bytes", 64 * kMiB, kMiB / 16, kMiB << 20));
  t.reject_unknown();
}

}  // namespace

Result<AppConfig> load_config(const fs::path& file) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(file, ec);
  if (ec) return make_error(Errc::config, "config: " + file.string() + ": " + ec.message());
  toml::table root_table;
  try {
    root_table = toml::parse_file(absolute.string());
  } catch (const toml::parse_error& e) {
    return make_error(Errc::config, "config: " + absolute.string() + ":" +
                                        std::to_string(e.source().begin.line) + ": " +
                                        std::string(e.description()));
  }
  try {
    AppConfig c;
    c.file = absolute;
    const fs::path base = absolute.parent_path();
    TableReader root(&root_table, "");
    read_server(root.table("server"), base, c);
    read_hsm(root.table("hsm"), root.table("server"), base, c);
    TableReader store = root.table("store");
    c.store_url = resolve_store_url(store, base);
    store.reject_unknown();
    read_log(root.table("log"), base, c);
    read_audit(root.table("audit"), base, c);
    read_service(root, base, c);
    read_access(root, c);
    root.reject_unknown();
    return c;
  } catch (const ConfigError& e) {
    return make_error(Errc::config, e.what());
  }
}

fs::path config_path(const std::optional<std::string>& from_command_line) {
  if (from_command_line) return *from_command_line;
  if (const char* env = std::getenv("HSM2FA_CONFIG"); env && *env) return env;
  const char* var = std::getenv("HSM2FA_VAR");
  return fs::path(var && *var ? var : "./var") / "hsm2fa.toml";
}

}  // namespace hsm2fa::app
