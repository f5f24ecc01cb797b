// The configuration file (config/hsm2fa.example.toml documents every key). Loading validates
// everything once: unknown keys are refused (typos must not pass silently), and every error names
// the key and the problem ("config: hsm.sessions: must be between 1 and 256"). Relative paths
// resolve against the config file's directory.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "hsm2fa/hsm/token.hpp"
#include "hsm2fa/http/access_policy.hpp"
#include "hsm2fa/http/server.hpp"
#include "hsm2fa/result.hpp"
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

struct AppConfig {
  std::filesystem::path file;  // the config file itself, absolute
  ListenConfig listen;
  http::ServerConfig server;
  http::AccessConfig access;
  hsm::TokenConfig token;
  std::chrono::milliseconds hsm_call_timeout{2000};
  std::string store_url;  // "sqlite:/absolute/path" after resolution
  service::ServiceConfig service;
  LogConfig log;
};

// Errors: Errc::config with a message starting "config: ".
Result<AppConfig> load_config(const std::filesystem::path& file);

// `--config FILE` if given, else $HSM2FA_CONFIG, else $HSM2FA_VAR/hsm2fa.toml (HSM2FA_VAR
// defaults to ./var).
std::filesystem::path config_path(const std::optional<std::string>& from_command_line);

}  // namespace hsm2fa::app
