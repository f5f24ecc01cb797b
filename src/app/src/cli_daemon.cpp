// Subcommands answered by the daemon over its socket.
#include <array>
#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>

#include "cli_commands.hpp"
#include "daemon_client.hpp"
#include "terminal_qr.hpp"

namespace hsm2fa::app {

namespace json = boost::json;

namespace {

struct Outcome {
  int exit_code = kExitOk;
  DaemonAnswer answer;
};

Outcome call(const AppConfig& config, std::string_view method, const std::string& target,
             const std::string& body = "") {
  auto answer = call_daemon(config.listen.unix_socket, method, target, body);
  if (!answer) {
    std::fprintf(stderr, "hsm2fa: %s\n", answer.error().message.c_str());
    return {kExitUnreachable, {}};
  }
  if (answer->status >= 400) {
    // The error envelope has no secrets: print it as the daemon wrote it.
    std::fprintf(stderr, "hsm2fa: the daemon answered %u: %.*s\n", answer->status,
                 static_cast<int>(answer->body.size()),
                 reinterpret_cast<const char*>(answer->body.data()));
    return {kExitFailed, std::move(*answer)};
  }
  return {kExitOk, std::move(*answer)};
}

void print_body(const DaemonAnswer& answer) {
  std::fwrite(answer.body.data(), 1, answer.body.size(), stdout);
  std::fputc('\n', stdout);
}

bool two_words(const CommandLine& args, const char* usage) {
  if (args.words.size() == 2) return true;
  std::fprintf(stderr, "usage: %s\n", usage);
  return false;
}

// Prints the pairing of an enroll answer: the one place a pairing URI is shown, to the admin
// who asked for it. The JSON parse happens in a buffer wiped afterwards.
int print_pairing(const DaemonAnswer& answer, const std::string& svg_file) {
  alignas(std::max_align_t) std::array<unsigned char, 8192> scratch{};
  int code = kExitOk;
  {
    json::monotonic_resource resource(scratch.data(), scratch.size());
    std::error_code ec;
    json::value value = json::parse(answer.body.view(), ec, &resource);
    const json::string* uri = nullptr;
    if (!ec && value.is_object()) {
      if (const auto* v = value.as_object().if_contains("otpauth_uri"); v && v->is_string()) {
        uri = &v->get_string();
      }
    }
    if (!uri) {
      std::fputs("hsm2fa: the daemon's answer has no otpauth_uri\n", stderr);
      code = kExitFailed;
    } else {
      const SecretBytes text = SecretBytes::from_string(std::string_view(*uri));
      std::printf("Scan with an authenticator app, or enter the URI:\n%.*s\n\n",
                  static_cast<int>(text.size()), reinterpret_cast<const char*>(text.data()));
      if (auto shown = print_qr(text, stdout); !shown) {
        std::fprintf(stderr, "hsm2fa: %s\n", shown.error().message.c_str());
      }
      if (!svg_file.empty()) {
        if (auto written = write_qr_svg(text, svg_file); !written) {
          std::fprintf(stderr, "hsm2fa: %s\n", written.error().message.c_str());
          code = kExitFailed;
        } else {
          std::printf("\nQR code written to %s (mode 0600: it holds the secret).\n",
                      svg_file.c_str());
        }
      }
      if (const auto* e = value.as_object().if_contains("expires_at"); e && e->is_string()) {
        std::printf("\nConfirm a code before %s.\n", e->get_string().c_str());
      }
    }
  }
  secure_wipe(scratch.data(), scratch.size());
  return code;
}

}  // namespace

int daemon_health(const AppConfig& config) {
  Outcome outcome = call(config, "GET", "/v1/health");
  if (outcome.exit_code == kExitUnreachable) return outcome.exit_code;
  if (outcome.exit_code == kExitOk) print_body(outcome.answer);
  return outcome.exit_code;
}

int user_command(const AppConfig& config, const std::string& action, const CommandLine& args) {
  std::string target, method, body;
  if (action == "show") {
    if (!two_words(args, "hsm2fa user show TENANT USER")) return kExitUsage;
    method = "GET";
    target = user_target(args.words[0], args.words[1], "");
  } else if (action == "enable") {
    if (!two_words(args, "hsm2fa user enable TENANT USER")) return kExitUsage;
    method = "PUT";
    target = user_target(args.words[0], args.words[1], "/two-factor");
    body = json::serialize(json::object{{"enabled", true}});
  } else if (action == "disable") {
    const auto reason = args.options.find("reason");
    if (!two_words(args, "hsm2fa user disable TENANT USER --reason TEXT [--until RFC3339]") ||
        reason == args.options.end()) {
      if (args.words.size() == 2) std::fputs("hsm2fa: --reason is required\n", stderr);
      return kExitUsage;
    }
    json::object request{{"enabled", false}, {"reason", reason->second}};
    if (const auto until = args.options.find("until"); until != args.options.end()) {
      request["until"] = until->second;
    }
    method = "PUT";
    target = user_target(args.words[0], args.words[1], "/two-factor");
    body = json::serialize(request);
  } else if (action == "unlock") {
    if (!two_words(args, "hsm2fa user unlock TENANT USER")) return kExitUsage;
    method = "POST";
    target = user_target(args.words[0], args.words[1], "/unlock");
  } else {
    std::fputs("usage: hsm2fa user show|enable|disable|unlock TENANT USER\n", stderr);
    return kExitUsage;
  }
  Outcome outcome = call(config, method, target, body);
  if (outcome.exit_code == kExitOk) print_body(outcome.answer);
  return outcome.exit_code;
}

int totp_command(const AppConfig& config, const std::string& action, const CommandLine& args) {
  if (action == "enroll") {
    if (!two_words(args, "hsm2fa totp enroll TENANT USER [--svg FILE]")) return kExitUsage;
    const auto svg = args.options.find("svg");
    const std::string svg_file = svg == args.options.end() ? "" : svg->second;
    if (!svg_file.empty() && std::filesystem::exists(svg_file)) {
      std::fprintf(stderr, "hsm2fa: %s exists; not overwritten\n", svg_file.c_str());
      return kExitUsage;
    }
    Outcome outcome = call(config, "POST", user_target(args.words[0], args.words[1], "/totp"));
    if (outcome.exit_code != kExitOk) return outcome.exit_code;
    return print_pairing(outcome.answer, svg_file);
  }
  if (action == "delete") {
    if (!two_words(args, "hsm2fa totp delete TENANT USER")) return kExitUsage;
    Outcome outcome = call(config, "DELETE", user_target(args.words[0], args.words[1], "/totp"));
    if (outcome.exit_code == kExitOk) std::puts("deleted");
    return outcome.exit_code;
  }
  std::fputs("usage: hsm2fa totp enroll|delete TENANT USER\n", stderr);
  return kExitUsage;
}

}  // namespace hsm2fa::app
