// `hsm2fa token rotate-kek` and `token destroy-kek`: the security officer's side of an online
// KEK rotation (hsm/README-rotation.md). The SO PIN comes from a file or the terminal, never
// argv. The new KEK is made here; the re-wrapping is the running daemon's, watched over its
// admin endpoint; an old KEK goes only once the store holds no blob under it.
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <thread>

#include "blob_census.hpp"
#include "cli_commands.hpp"
#include "daemon_client.hpp"
#include "hsm2fa/hsm/kek_rotation.hpp"
#include "secret_file.hpp"

namespace hsm2fa::app {
namespace {

namespace json = boost::json;

constexpr const char* kRotationTarget = "/v1/admin/kek-rotation";

int failed(const char* what, const Error& error) {
  std::fprintf(stderr, "hsm2fa: %s: %s\n", what, error.message.c_str());
  return kExitFailed;
}

Result<json::object> rotation_call(const AppConfig& config, std::string_view method) {
  auto answer = call_daemon(config.listen.unix_socket, method, kRotationTarget, "");
  if (!answer) return std::move(answer).error();
  boost::system::error_code ec;
  json::value body = json::parse(answer->body.view(), ec);
  if (ec || !body.is_object()) {
    return make_error(Errc::internal, "the daemon's answer is not a JSON object");
  }
  if (answer->status >= 400) {
    return make_error(Errc::conflict, "the daemon answered " + std::to_string(answer->status) +
                                          ": " + json::serialize(body));
  }
  return std::move(body.as_object());
}

std::uint64_t count(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_int64()    ? static_cast<std::uint64_t>(v->as_int64())
         : v && v->is_uint64() ? v->as_uint64()
                               : 0;
}

std::string text(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// Draws the pass's progress on stderr until it ends; its final state.
Result<json::object> watch(const AppConfig& config) {
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  std::uint64_t shown = ~0ULL;
  for (;;) {
    auto progress = rotation_call(config, "GET");
    if (!progress) return progress;
    const std::uint64_t total = count(*progress, "total"), done = count(*progress, "done"),
                        failed_blobs = count(*progress, "failed"),
                        settled = total - std::min(total, count(*progress, "remaining"));
    const bool running = text(*progress, "state") == "running";
    const std::uint64_t percent = total == 0 ? (running ? 0 : 100) : settled * 100 / total;
    if (tty || percent / 10 != shown / 10 || !running) {
      constexpr int kWidth = 40;
      const int filled = static_cast<int>(percent * kWidth / 100);
      std::fprintf(stderr, "%s[%.*s%*s] %3llu%% %llu/%llu re-wrapped, %llu failed%s",
                   tty ? "\r" : "", filled, "########################################",
                   kWidth - filled, "", static_cast<unsigned long long>(percent),
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                   static_cast<unsigned long long>(failed_blobs), tty ? "" : "\n");
      shown = percent;
    }
    if (!running) {
      if (tty) std::fputc('\n', stderr);
      return progress;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

// Destroys `name` if the store has no blob under it (nor an unreadable one).
int destroy_if_empty(const AppConfig& config, const std::string& name) {
  auto census = blobs_by_kek(config);
  if (!census) return failed("store", census.error());
  const auto under = census->find(name);
  if (under != census->end() && under->second > 0) {
    std::fprintf(stderr, "hsm2fa: %s still wraps %zu blob(s): not destroyed\n", name.c_str(),
                 under->second);
    return kExitFailed;
  }
  if (census->count("unreadable")) {
    std::fputs("hsm2fa: the store holds unreadable seed refs: no KEK destroyed\n", stderr);
    return kExitFailed;
  }
  auto token = hsm::open_token(config.token);
  if (!token) return failed("token", token.error());
  if (auto st = hsm::destroy_kek(**token, config.token, name); !st) {
    return failed(("destroying " + name).c_str(), st.error());
  }
  std::printf("destroyed: %s-%s\n", config.token.key_prefix.c_str(), name.c_str());
  return kExitOk;
}

Result<SecretBytes> so_pin(const CommandLine& args) {
  const auto file = args.options.find("so-pin-file");
  if (file != args.options.end()) return read_secret_line(file->second);
  return prompt_secret_line("security officer PIN: ");
}

}  // namespace

int token_rotate_kek(const AppConfig& config, const CommandLine& args) {
  if (!args.words.empty()) {
    std::fputs("usage: hsm2fa token rotate-kek [--so-pin-file FILE] [--destroy-old]\n", stderr);
    return kExitUsage;
  }
  if (config.token.kek_rotation != hsm::KekRotation::trusted) {
    std::fputs("hsm2fa: [hsm] kek_rotation is \"off\": seeds cannot be re-wrapped\n", stderr);
    return kExitUsage;
  }
  hsm::KekListing listing;
  {
    auto token = hsm::open_token(config.token);
    if (!token) return failed("token", token.error());
    auto found = hsm::list_keks(**token, config.token);
    if (!found) return failed("listing KEKs", found.error());
    listing = std::move(*found);
  }  // the user login ends here: the SO logs in next, in this process
  if (listing.names.empty()) {
    std::fputs("hsm2fa: no KEK in the token: run `hsm2fa token provision` first\n", stderr);
    return kExitFailed;
  }
  if (listing.softhsm && !config.token.allow_public_kek) {
    std::fputs("hsm2fa: SoftHSM2 can make only public trusted KEKs: set [hsm] allow_public_kek\n",
               stderr);
    return kExitUsage;
  }
  auto pin = so_pin(args);
  if (!pin) return failed("SO PIN", pin.error());
  // Names are "kek-N", ascending: the next is one past the newest.
  const unsigned number = static_cast<unsigned>(std::stoul(listing.names.back().substr(4))) + 1;
  auto created = hsm::create_trusted_kek(config.token, *pin, number, listing.softhsm);
  if (!created) return failed("rotate-kek", created.error());
  std::printf("created: %s%s\n", created->c_str(),
              listing.softhsm ? " (public object: weaker custody, allow_public_kek)" : "");

  auto started = rotation_call(config, "POST");
  if (!started) {
    std::fprintf(stderr, "hsm2fa: %s created, but the daemon did not start re-wrapping: %s\n",
                 created->c_str(), started.error().message.c_str());
    return kExitUnreachable;
  }
  const std::string target = "kek-" + std::to_string(number);
  if (text(*started, "target") != target) {
    std::fprintf(stderr, "hsm2fa: the daemon re-wraps under \"%s\", not %s\n",
                 text(*started, "target").c_str(), target.c_str());
    return kExitFailed;
  }
  auto end = watch(config);
  if (!end) return failed("watching the rotation", end.error());
  if (text(*end, "state") != "done") {
    std::fprintf(stderr, "hsm2fa: rotation %s: %s\n", text(*end, "state").c_str(),
                 text(*end, "error").c_str());
    return kExitFailed;
  }
  std::printf("every active blob is under %s\n", target.c_str());
  if (!args.options.count("destroy-old")) return kExitOk;
  int exit_code = kExitOk;
  for (const auto& old : listing.names) {
    if (int code = destroy_if_empty(config, old); code != kExitOk) exit_code = code;
  }
  return exit_code;
}

int token_destroy_kek(const AppConfig& config, const CommandLine& args) {
  if (args.words.size() != 1) {
    std::fputs("usage: hsm2fa token destroy-kek kek-N\n", stderr);
    return kExitUsage;
  }
  return destroy_if_empty(config, args.words[0]);
}

}  // namespace hsm2fa::app
