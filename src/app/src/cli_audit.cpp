// `hsm2fa audit verify` and `hsm2fa audit pubkey` (src/audit/README.md).
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>

#include "cli_commands.hpp"
#include "hsm2fa/audit/audit_log.hpp"
#include "hsm2fa/audit/verify.hpp"
#include "hsm2fa/hsm/audit_key.hpp"
#include "token_audit_keys.hpp"

namespace hsm2fa::app {
namespace {

constexpr const char* kVerifyUsage =
    "usage: hsm2fa audit verify [FILES...] [--pubkey PEM_FILE]\n"
    "  Checks the hash chain, every checkpoint signature and, when the token named by the\n"
    "  config is reachable, every line's seal. Without FILES: the files of the config's\n"
    "  audit.dir in chain order. Exit 0 only for an intact chain.\n";

std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

int audit_verify(const AppConfig* config, const CommandLine& args) {
  std::vector<std::filesystem::path> files(args.words.begin(), args.words.end());
  if (files.empty() && config) files = audit::audit_files(config->audit.dir);
  if (files.empty()) {
    std::fputs(kVerifyUsage, stderr);
    return kExitUsage;
  }
  audit::VerifyOptions options;
  if (auto pem_file = args.options.find("pubkey"); pem_file != args.options.end()) {
    options.public_key_pem = read_text(pem_file->second);
    if (!options.public_key_pem) {
      std::fprintf(stderr, "hsm2fa: cannot read %s\n", pem_file->second.c_str());
      return kExitUsage;
    }
  }
  // With the token: seals too, and the public key from it unless one was given. The token
  // must outlive the verification, which uses it through the keys.
  Result<std::shared_ptr<hsm::Token>> token = make_error(Errc::config, "no config");
  if (config) token = hsm::open_token(config->token);
  if (token) {
    options.seal_keys = make_token_audit_keys(**token);
    if (!options.public_key_pem) {
      if (auto pem = hsm::audit_public_key_pem(**token)) options.public_key_pem = *pem;
    }
  } else {
    std::fprintf(stderr, "hsm2fa: token not reachable (%s): seals are not checked\n",
                 token.error().message.c_str());
  }
  auto report = audit::verify_audit(files, options);
  if (!report) {
    std::fprintf(stderr, "hsm2fa: audit verify: %s\n", report.error().message.c_str());
    return report.error().code == Errc::invalid_argument || report.error().code == Errc::not_found
               ? kExitUsage
               : kExitFailed;
  }
  std::fputs(audit::format_report(*report).c_str(), stdout);
  return report->intact() ? kExitOk : kExitFailed;
}

int audit_pubkey(const AppConfig& config, const CommandLine& args) {
  if (!args.words.empty()) {
    std::fputs("usage: hsm2fa audit pubkey   (PEM on stdout)\n", stderr);
    return kExitUsage;
  }
  auto token = hsm::open_token(config.token);
  if (!token) {
    std::fprintf(stderr, "hsm2fa: token: %s\n", token.error().message.c_str());
    return kExitFailed;
  }
  auto pem = hsm::audit_public_key_pem(**token);
  if (!pem) {
    std::fprintf(stderr, "hsm2fa: audit pubkey: %s\n", pem.error().message.c_str());
    return kExitFailed;
  }
  std::fputs(pem->c_str(), stdout);
  return kExitOk;
}

}  // namespace hsm2fa::app
