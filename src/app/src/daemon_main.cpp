// hsm2fad: load the config, open the token, build the service, serve until SIGTERM/SIGINT, then
// shut down in order: stop accepting and drain, stop the workers, then drop the service, the
// store, the vault and, last, the token. Everything lives in main's scope; nothing is static.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "hsm2fa/app/config.hpp"
#include "hsm2fa/app/logging.hpp"
#include "hsm2fa/audit/audit_sink.hpp"
#include "hsm2fa/clock.hpp"
#include "hsm2fa/hsm/kek_rotation.hpp"
#include "hsm2fa/hsm/key_cache_stats.hpp"
#include "hsm2fa/hsm/token.hpp"
#include "hsm2fa/http/listen_socket.hpp"
#include "hsm2fa/http/request_handler.hpp"
#include "hsm2fa/http/server.hpp"
#include "hsm2fa/service/kek_rotation.hpp"
#include "hsm2fa/store/group_commit_stats.hpp"
#include "hsm2fa/store/open_store.hpp"
#include "secret_file.hpp"
#include "token_audit_keys.hpp"

namespace {

using namespace hsm2fa;

// Email codes and challenge nonces come from the token's RNG (DESIGN.md).
class TokenRandom final : public service::RandomSource {
 public:
  explicit TokenRandom(hsm::Token& token) : token_(token) {}
  Status fill(std::span<std::uint8_t> out) override { return hsm::random_bytes(token_, out); }

 private:
  hsm::Token& token_;
};

constexpr const char* kUsage =
    "usage: hsm2fad [--config FILE]\n"
    "  Serves the hsm2fa API on the configured Unix socket (and optional loopback TCP port).\n"
    "  Config: --config FILE, else $HSM2FA_CONFIG, else $HSM2FA_VAR/hsm2fa.toml\n"
    "  (HSM2FA_VAR defaults to ./var).\n";

// Seeds pass through this process's memory during pairing: no core dumps, no ptrace by
// same-uid processes.
void harden_process() {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  const rlimit none{0, 0};
  ::setrlimit(RLIMIT_CORE, &none);
}

http::TokenMetrics token_metrics(const hsm::Token& token) {
  const hsm::TokenStats s = token.stats();
  http::TokenMetrics m{
      s.up,           s.calls,         s.errors_by_rv,    s.sessions_open, s.sessions_in_use,
      s.breaker_open, s.call_timeouts, s.breaker_refusals};
  m.objects_created = s.objects_created;
  m.objects_destroyed = s.objects_destroyed;
  m.recycle_after_objects = s.recycle_after_objects;
  m.module_recycles = s.module_recycles;
  m.recycle_deferrals = s.recycle_deferrals;
  m.recycle_failures = s.recycle_failures;
  m.last_recycle_seconds = s.last_recycle_seconds;
  return m;
}

// The token's figures plus those of the wrapped vault's key cache.
http::TokenMetrics token_metrics(const hsm::Token& token, const SeedVault& vault) {
  http::TokenMetrics m = token_metrics(token);
  const hsm::KeyCacheStats cache = hsm::key_cache_stats(vault);
  m.key_cache_hits = cache.hits;
  m.key_cache_misses = cache.misses;
  m.key_cache_evictions = cache.evictions;
  m.key_cache_size = cache.size;
  m.key_cache_capacity = cache.capacity;
  return m;
}

// The group-commit counters of the store (SQLite only) and of the audit log.
http::DurabilityMetrics durability_metrics(const Store& store, const audit::AuditLog& audit_log) {
  http::DurabilityMetrics m;
  if (auto batches = store::group_commit_stats(store)) {
    m.store_commits = batches->commits;
    m.store_writes = batches->writes;
  }
  const audit::AuditSyncStats syncs = audit_log.sync_stats();
  m.audit_syncs = syncs.syncs;
  m.audit_lines = syncs.lines;
  return m;
}

// Removes the socket file this process bound, however run() ends.
struct SocketFile {
  std::filesystem::path path;
  SocketFile() = default;
  SocketFile(const SocketFile&) = delete;
  SocketFile& operator=(const SocketFile&) = delete;
  ~SocketFile() {
    if (!path.empty()) ::unlink(path.c_str());
  }
};

// The token answers and its keys are usable. A session can outlive the keys (a zeroised HSM, a
// removed partition): a MAC under the service key proves the keys are still there.
Status probe_token(hsm::Token& token) {
  if (auto alive = token.check(); !alive) return alive;
  static constexpr std::uint8_t kProbe[] = {0};
  auto mac = hsm::service_mac(token, "health-probe", kProbe);
  if (!mac) return mac.error();
  return {};
}

// The relay for email codes; its password (if any) comes from its file, never the config.
Result<std::shared_ptr<service::EmailSender>> smtp_sender(const app::SmtpRelayConfig& relay) {
  service::SmtpConfig smtp;
  smtp.url = relay.url;
  smtp.from = relay.from;
  smtp.starttls = relay.starttls;
  smtp.username = relay.username;
  smtp.timeout = relay.timeout;
  smtp.subject = relay.subject;
  if (!relay.body.empty()) smtp.body = relay.body;
  if (!relay.password_file.empty()) {
    auto password = app::read_secret_line(relay.password_file);
    if (!password) return std::move(password).error();
    smtp.password = std::move(password).value();
  }
  return service::make_smtp_email_sender(std::move(smtp));
}

// The sealed audit log in [audit].dir, sealed and signed by the token.
Result<std::shared_ptr<audit::AuditLog>> open_audit_log(const app::AuditConfig& config,
                                                        hsm::Token& token) {
  // A missing directory is made (owner only); anything else in the way fails the start-up.
  std::error_code ec;
  if (!std::filesystem::exists(config.dir, ec) &&
      std::filesystem::create_directory(config.dir, ec)) {
    std::filesystem::permissions(config.dir, std::filesystem::perms::owner_all, ec);
  }
  audit::AuditLogOptions options;
  options.dir = config.dir;
  options.instance = config.instance;
  options.checkpoint_lines = config.checkpoint_lines;
  options.checkpoint_seconds = config.checkpoint_seconds;
  options.rotate_bytes = config.rotate_bytes;
  auto log = audit::AuditLog::open(std::move(options), app::make_token_audit_keys(token),
                                   std::make_shared<SystemClock>());
  if (!log) return std::move(log).error();
  return std::shared_ptr<audit::AuditLog>(std::move(*log));
}

// The background re-wrapping of kek_rotation = "trusted" (null when off or in token custody).
std::shared_ptr<service::KekRotation> kek_rotation(const app::AppConfig& config, hsm::Token& token,
                                                   const std::shared_ptr<SeedVault>& vault,
                                                   const std::shared_ptr<Store>& store,
                                                   const std::shared_ptr<audit::AuditLog>& log) {
  auto rewrapper = hsm::seed_rewrapper(vault, config.token);
  if (!rewrapper) return nullptr;
  const bool public_kek = hsm::public_kek_custody(token, config.token);
  if (public_kek) {
    spdlog::warn(
        "hsm: allow_public_kek: trusted KEKs are public token objects, in clear in the "
        "token directory (weaker custody; development and tests only)");
  }
  return service::make_kek_rotation(store, std::move(rewrapper), audit::make_audit_sink(log),
                                    public_kek);
}

http::KekRotationMetrics kek_rotation_metrics(const service::KekRotationProgress& p) {
  return http::KekRotationMetrics{p.remaining(), p.done, p.failed, p.state == "running"};
}

int fail(const Error& error) {
  spdlog::critical("{}", error.message);
  return 1;
}

int run(const app::AppConfig& config) {
  // Signals are taken synchronously by this thread; every thread started later inherits the
  // mask, so none of them is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Sockets first: a second daemon must stop before it touches the token (a login counts
  // against the PIN) or the database. Clients that connect early wait in the accept queue.
  auto inherited = http::inherited_sockets();
  if (!inherited) return fail(inherited.error());
  std::vector<http::ListenSocket> sockets = std::move(*inherited);
  SocketFile socket_file;
  if (sockets.empty()) {
    auto unix_socket = http::bind_unix_socket(config.listen.unix_socket, config.listen.socket_mode);
    if (!unix_socket) return fail(unix_socket.error());
    socket_file.path = config.listen.unix_socket;
    sockets.push_back(std::move(*unix_socket));
    if (config.listen.tcp) {
      auto tcp = http::bind_tcp_loopback(*config.listen.tcp);
      if (!tcp) return fail(tcp.error());
      sockets.push_back(std::move(*tcp));
    }
  }

  auto token = hsm::open_token(config.token);
  if (!token) return fail(token.error());
  auto vault = hsm::make_seed_vault(*token, config.token);
  if (!vault) return fail(vault.error());
  auto store = store::open_store(config.store_url);
  if (!store) return fail(store.error());
  hsm::Token* token_ptr = token->get();  // outlives the service: released last, below
  auto audit_log = open_audit_log(config.audit, *token_ptr);
  if (!audit_log) return fail(audit_log.error());
  spdlog::info("audit log: {} (head seq {})", config.audit.dir.string(), (*audit_log)->head().seq);
  auto sender = smtp_sender(config.smtp);
  if (!sender) return fail(sender.error());
  service::FlowPorts ports;
  ports.token_mac = [token_ptr](std::string_view purpose, std::span<const std::uint8_t> data) {
    return hsm::service_mac(*token_ptr, purpose, data);
  };
  ports.random = std::make_shared<TokenRandom>(*token_ptr);
  ports.email_sender = *sender;
  auto service = service::make_two_factor_service(
      config.service, *vault, *store, std::make_shared<SystemClock>(),
      [token_ptr] { return probe_token(*token_ptr); }, audit::make_audit_sink(*audit_log),
      std::move(ports));
  if (!service) return fail(service.error());
  for (const auto& [name, tenant] : config.service.tenants) {
    if (tenant.export_policy == service::ExportPolicy::always) {
      spdlog::warn("tenant {}: export_policy \"always\" re-exports active seeds (weaker custody)",
                   name);
    }
  }

  const SeedVault* vault_ptr = vault->get();  // outlives the metrics, like the token
  auto rotation = kek_rotation(config, *token_ptr, *vault, *store, *audit_log);

  const Store* store_ptr = store->get();  // both outlive the metrics
  const audit::AuditLog* audit_ptr = audit_log->get();
  auto metrics = std::make_shared<http::Metrics>(
      HSM2FA_VERSION, [token_ptr, vault_ptr] { return token_metrics(*token_ptr, *vault_ptr); },
      rotation ? std::function<http::KekRotationMetrics()>(
                     [rotation] { return kek_rotation_metrics(rotation->progress()); })
               : nullptr,
      [store_ptr, audit_ptr] { return durability_metrics(*store_ptr, *audit_ptr); });
  auto handler = std::make_shared<const http::RequestHandler>(
      std::shared_ptr<service::TwoFactorService>(std::move(*service)),
      http::AccessPolicy(config.access, static_cast<std::uint32_t>(::getuid())), metrics,
      HSM2FA_VERSION, rotation);

  auto server = http::Server::start(config.server, handler, std::move(sockets));
  if (!server) return fail(server.error());
  http::notify_ready();
  spdlog::info("hsm2fad {} ready", HSM2FA_VERSION);

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info("{}: stopping", strsignal(signal_number));

  (*server)->stop();
  server->reset();
  handler.reset();
  metrics.reset();
  rotation.reset();  // joins a running pass (it stops between blobs)
  // The last lines get a signed checkpoint while the token is still there to sign it.
  if (auto st = (*audit_log)->checkpoint(); !st) {
    spdlog::error("audit: final checkpoint failed: {}", st.error().message);
  } else {
    const audit::ChainHead head = (*audit_log)->head();
    spdlog::info("audit: chain head seq {} chain {}", head.seq, head.chain);
  }
  if (const audit::AuditSyncStats syncs = (*audit_log)->sync_stats(); syncs.syncs > 0) {
    spdlog::info(
        "audit: group commit synced {} lines in {} fdatasyncs ({:.2f} per fdatasync, "
        "largest {}, {} failed)",
        syncs.lines, syncs.syncs,
        static_cast<double>(syncs.lines) / static_cast<double>(syncs.syncs), syncs.largest_batch,
        syncs.failed_syncs);
  }
  audit_log->reset();
  if (auto batches = store::group_commit_stats(**store); batches && batches->commits > 0) {
    spdlog::info("store: group commit wrote {} writes in {} commits ({:.2f} per fsync, largest {})",
                 batches->writes, batches->commits,
                 static_cast<double>(batches->writes) / static_cast<double>(batches->commits),
                 batches->largest_batch);
  }
  store->reset();
  vault->reset();
  token->reset();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  harden_process();
  std::optional<std::string> config_arg;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (arg == "--version") {
      std::puts("hsm2fad " HSM2FA_VERSION);
      return 0;
    }
    if (arg == "--config" && i + 1 < argc) {
      config_arg = argv[++i];
      continue;
    }
    std::fprintf(stderr, "hsm2fad: unexpected argument \"%s\"\n%s", arg.c_str(), kUsage);
    return 2;
  }
  auto config = app::load_config(app::config_path(config_arg));
  if (!config) {
    std::fprintf(stderr, "hsm2fad: %s\n", config.error().message.c_str());
    return 2;
  }
  if (auto logging = app::setup_logging(config->log); !logging) {
    std::fprintf(stderr, "hsm2fad: %s\n", logging.error().message.c_str());
    return 2;
  }
  return run(*config);
}
