#include <cstdio>

#include "cli_commands.hpp"
#include "hsm2fa/hsm/token.hpp"
#include "secret_file.hpp"

namespace hsm2fa::app {

int token_init(const AppConfig& config, const CommandLine& args) {
  const auto label = args.options.find("label");
  const auto so_pin_file = args.options.find("so-pin-file");
  if (label == args.options.end() || so_pin_file == args.options.end() || !args.words.empty()) {
    std::fputs("usage: hsm2fa token init --label LABEL --so-pin-file FILE\n", stderr);
    return kExitUsage;
  }
  auto so_pin = read_secret_line(so_pin_file->second);
  if (!so_pin) {
    std::fprintf(stderr, "hsm2fa: SO PIN: %s\n", so_pin.error().message.c_str());
    return kExitUsage;
  }
  auto user_pin = read_secret_line(config.token.pin_file);
  if (!user_pin) {
    std::fprintf(stderr, "hsm2fa: user PIN (hsm.pin_file): %s\n", user_pin.error().message.c_str());
    return kExitUsage;
  }
  const Status status =
      hsm::init_token(config.token.module_path, label->second, *so_pin, *user_pin);
  if (!status) {
    std::fprintf(stderr, "hsm2fa: token init: %s\n", status.error().message.c_str());
    return kExitFailed;
  }
  std::printf("initialised token \"%s\"\n", label->second.c_str());
  return kExitOk;
}

int token_provision(const AppConfig& config) {
  auto token = hsm::open_token(config.token);
  if (!token) {
    std::fprintf(stderr, "hsm2fa: token: %s\n", token.error().message.c_str());
    return kExitFailed;
  }
  auto report = hsm::provision(**token, config.token);
  if (!report) {
    std::fprintf(stderr, "hsm2fa: provision: %s\n", report.error().message.c_str());
    return kExitFailed;
  }
  for (const auto& label : report->created) std::printf("created: %s\n", label.c_str());
  for (const auto& label : report->existing) std::printf("existing: %s\n", label.c_str());
  return kExitOk;
}

}  // namespace hsm2fa::app
