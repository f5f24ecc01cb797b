// hsm2fa: the admin CLI. Token ceremonies talk to the token directly; everything else asks the
// daemon over its socket. PINs come from files, never from the command line.
#include <sys/prctl.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "cli_commands.hpp"
#include "hsm2fa/app/config.hpp"
#include "hsm2fa/bench/bench.hpp"

namespace {

using namespace hsm2fa::app;

constexpr const char* kUsage =
    "usage: hsm2fa [--config FILE] COMMAND ...\n"
    "\n"
    "Token (run before the daemon starts; PINs are read from files):\n"
    "  token init --label LABEL --so-pin-file FILE   initialise a development token; the user\n"
    "                                                PIN comes from the config's hsm.pin_file\n"
    "  token provision                               create the service's keys if missing\n"
    "  token rotate-kek [--so-pin-file FILE] [--destroy-old]\n"
    "                                                kek_rotation = \"trusted\": the SO makes\n"
    "                                                the next KEK, the running daemon re-wraps\n"
    "                                                every active blob under it (progress bar);\n"
    "                                                the SO PIN is asked for without the file\n"
    "  token destroy-kek kek-N                       destroy an old KEK once no blob is under it\n"
    "\n"
    "Through the daemon's socket:\n"
    "  health                                        the daemon's health\n"
    "  user show TENANT USER                         2FA state of a user\n"
    "  user enable TENANT USER                       turn 2FA on\n"
    "  user disable TENANT USER --reason TEXT [--until RFC3339]\n"
    "  user unlock TENANT USER                       clear failures and locks\n"
    "  bulk enable TENANT FILE                       turn 2FA on for every user id in FILE\n"
    "  bulk disable TENANT FILE --reason TEXT [--until RFC3339]\n"
    "                                                FILE: one user id a line, or a CSV whose\n"
    "                                                first column is the id (header \"user\",\n"
    "                                                blank and # lines skipped); bad lines are\n"
    "                                                reported by number; progress on stderr\n"
    "  totp enroll TENANT USER [--svg FILE]          start an enrollment; prints the pairing\n"
    "                                                URI and its QR code (and writes it as an\n"
    "                                                SVG image, mode 0600, with --svg)\n"
    "  totp delete TENANT USER                       remove the user's TOTP credentials\n"
    "\n"
    "Custody (read the token and the audit files directly):\n"
    "  audit verify [FILES...] [--pubkey PEM_FILE]   check the audit chain, checkpoints and\n"
    "                                                (token reachable) seals; exit 0 if intact\n"
    "  audit pubkey                                  the checkpoint public key (PEM, stdout)\n"
    "  keys check [--json]                           every key and seed with its attributes;\n"
    "                                                exit 1 if any active seed could leave\n"
    "\n"
    "  bench [--config FILE] [OPTIONS]               benchmark a throw-away deployment\n"
    "                                                (`hsm2fa bench --help`)\n"
    "\n"
    "Config: --config FILE, else $HSM2FA_CONFIG, else $HSM2FA_VAR/hsm2fa.toml (HSM2FA_VAR\n"
    "defaults to ./var). Exit codes: 0 ok, 1 failure reported by the daemon or token,\n"
    "2 usage or config error, 3 daemon unreachable, 4 bulk: some lines failed (listed on\n"
    "stderr by line number), the others were changed.\n";

}  // namespace

int main(int argc, char** argv) {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);  // a pairing URI passes through this process
  if (argc > 1 && std::string_view(argv[1]) == "bench") {
    return hsm2fa::bench::bench_main(argc - 1, argv + 1);  // its own options, --config included
  }
  std::optional<std::string> config_arg;
  std::vector<std::string> command;
  CommandLine args;
  bool help = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      help = true;
    } else if (arg == "--json" || arg == "--destroy-old") {
      args.options[arg.substr(2)] = "";
    } else if (arg.rfind("--", 0) == 0) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "hsm2fa: %s needs a value\n", arg.c_str());
        return kExitUsage;
      }
      if (arg == "--config" && command.empty()) {
        config_arg = argv[++i];
      } else {
        args.options[arg.substr(2)] = argv[++i];
      }
    } else if (command.size() < 2 &&
               (command.empty() || command[0] == "token" || command[0] == "user" ||
                command[0] == "totp" || command[0] == "audit" || command[0] == "keys" ||
                command[0] == "bulk")) {
      command.push_back(arg);
    } else {
      args.words.push_back(arg);
    }
  }
  if (help && !command.empty()) {
    // The usage lines of this command group only.
    std::printf("usage: hsm2fa [--config FILE] %s ...\n", command[0].c_str());
    const std::string_view usage = kUsage;
    const std::string prefix = "  " + command[0] + (command.size() > 1 ? " " + command[1] : "");
    bool matched = false;  // continuation lines (deeper indent) follow their command's line
    for (std::size_t at = 0; at < usage.size();) {
      const std::size_t end = std::min(usage.find('\n', at), usage.size());
      const std::string_view line = usage.substr(at, end - at);
      matched = line.rfind(prefix, 0) == 0 || (matched && line.rfind("    ", 0) == 0);
      if (matched) std::printf("%.*s\n", static_cast<int>(line.size()), line.data());
      at = end + 1;
    }
    return kExitOk;
  }
  if (help || command.empty()) {
    std::fputs(kUsage, help ? stdout : stderr);
    return help ? kExitOk : kExitUsage;
  }
  for (const auto& [name, value] : args.options) {
    static const char* known[] = {"label",  "so-pin-file", "reason", "until",
                                  "pubkey", "json",        "svg",    "destroy-old"};
    if (std::none_of(std::begin(known), std::end(known),
                     [&](const char* k) { return name == k; })) {
      std::fprintf(stderr, "hsm2fa: unknown option --%s\n", name.c_str());
      return kExitUsage;
    }
  }
  const bool offline_verify =
      command[0] == "audit" && command.size() > 1 && command[1] == "verify" && !args.words.empty();
  auto config = load_config(config_path(config_arg));
  if (!config && offline_verify) return audit_verify(nullptr, args);  // chain + checkpoints
  if (!config) {
    std::fprintf(stderr, "hsm2fa: %s\n", config.error().message.c_str());
    return kExitUsage;
  }
  const std::string& group = command[0];
  const std::string action = command.size() > 1 ? command[1] : "";
  if (group == "token" && action == "init") return token_init(*config, args);
  if (group == "token" && action == "provision" && args.words.empty()) {
    return token_provision(*config);
  }
  if (group == "token" && action == "rotate-kek") return token_rotate_kek(*config, args);
  if (group == "token" && action == "destroy-kek") return token_destroy_kek(*config, args);
  if (group == "health" && args.words.empty()) return daemon_health(*config);
  if (group == "audit" && action == "verify") return audit_verify(&*config, args);
  if (group == "audit" && action == "pubkey") return audit_pubkey(*config, args);
  if (group == "keys" && action == "check") return keys_check(*config, args);
  if (group == "user") return user_command(*config, action, args);
  if (group == "totp") return totp_command(*config, action, args);
  if (group == "bulk") return bulk_command(*config, action, args);
  std::fputs(kUsage, stderr);
  return kExitUsage;
}
