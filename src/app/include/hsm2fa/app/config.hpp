// The configuration file (config/hsm2fa.example.toml documents every key). Loading validates
// everything once: unknown keys are refused (typos must not pass silently), and every error names
// the key and the problem ("config: hsm.sessions: must be between 1 and 256"). Relative paths
// resolve against the config file's directory.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "hsm2fa/hsm/token.hpp"
#include "hsm2fa/http/access_policy.hpp"
#include "hsm2fa/http/server.hpp"
#include "hsm2fa/result.hpp"
#include "hsm2fa/service/smtp_email_sender.hpp"
#include "hsm2fa/service/two_factor_service.hpp"

namespace hsm2fa::app {

struct ListenConfig {
  std::filesystem::path unix_socket;
  unsigned socket_mode = 0660;
  std::optional<std::string> tcp;  // "127.0.0.1:8750"; loopback only
};

struct LogConfig {
  std::string level = "info";
  std::filesystem::path file;  // empty: stderr
};

// [email.smtp]: the relay for email codes. The password is read from `password_file` when the
// daemon starts (never from the config itself); the message body from `template_file`, if set.
struct SmtpRelayConfig {
  std::string url = "smtp://127.0.0.1:25";
  std::string from = "hsm2fa@localhost";
  service::StartTls starttls = service::StartTls::opportunistic;
  std::string username;
  std::filesystem::path password_file;
  std::chrono::seconds timeout{10};
  std::string subject = "Your {issuer} sign-in code";
  std::string body;  // empty: the built-in template
};

// [audit]: the sealed audit log (src/audit/README.md). `dir` defaults to the config file's
// directory, `instance` to the host name.
struct AuditConfig {
  std::filesystem::path dir;
  std::string instance;
  std::uint64_t checkpoint_lines = 1000;
  std::chrono::seconds checkpoint_seconds{60};
  std::uint64_t rotate_bytes = 64u << 20;
};

struct AppConfig {
  std::filesystem::path file;  // the config file itself, absolute
  ListenConfig listen;
  http::ServerConfig server;
  http::AccessConfig access;
  hsm::TokenConfig token;
  std::chrono::milliseconds hsm_call_timeout{2000};
  std::string store_url;  // "sqlite:/absolute/path" after resolution
  service::ServiceConfig service;
  SmtpRelayConfig smtp;
  LogConfig log;
  AuditConfig audit;
};

// Errors: Errc::config with a message starting "config: ".
Result<AppConfig> load_config(const std::filesystem::path& file);

// `--config FILE` if given, else $HSM2FA_CONFIG, else $HSM2FA_VAR/hsm2fa.toml (HSM2FA_VAR
// defaults to ./var).
std::filesystem::path config_path(const std::optional<std::string>& from_command_line);

}  // namespace hsm2fa::app
