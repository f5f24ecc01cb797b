// The admin CLI's subcommands. Each returns the process exit code.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "hsm2fa/app/config.hpp"

namespace hsm2fa::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;       // the daemon (or the token) reported a failure
inline constexpr int kExitUsage = 2;        // bad arguments or config
inline constexpr int kExitUnreachable = 3;  // the daemon could not be reached
inline constexpr int kExitPartial = 4;      // bulk: some lines were bad or refused, the rest done

struct CommandLine {
  std::vector<std::string> words;              // after the command name
  std::map<std::string, std::string> options;  // --name value
};

int token_init(const AppConfig& config, const CommandLine& args);
int token_provision(const AppConfig& config);
int token_rotate_kek(const AppConfig& config, const CommandLine& args);
int token_destroy_kek(const AppConfig& config, const CommandLine& args);

// `config` may be null (no config file): chain and checkpoints only, offline.
int audit_verify(const AppConfig* config, const CommandLine& args);
int audit_pubkey(const AppConfig& config, const CommandLine& args);
int keys_check(const AppConfig& config, const CommandLine& args);

int daemon_health(const AppConfig& config);
int user_command(const AppConfig& config, const std::string& action, const CommandLine& args);
int bulk_command(const AppConfig& config, const std::string& action, const CommandLine& args);
int totp_command(const AppConfig& config, const std::string& action, const CommandLine& args);

}  // namespace hsm2fa::app
