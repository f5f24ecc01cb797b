// `hsm2fa bulk enable|disable TENANT FILE`: the 2FA switch for many users from a file of user
// ids (one a line) or a CSV whose first column is the user id. Bad lines are reported with
// their line numbers and skipped, never fatal; the rest go to the daemon in batches, with a
// progress bar on stderr when it is a terminal (periodic lines otherwise).
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "cli_commands.hpp"
#include "daemon_client.hpp"

namespace hsm2fa::app {
namespace {

namespace json = boost::json;

constexpr std::size_t kBatch = 1000;  // users per request (the API takes up to 10,000)

struct Entry {
  std::size_t line;
  std::string user;
};

bool is_user_id(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '@' || c == '+' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// The first CSV field (optionally double-quoted), trimmed of spaces and a trailing CR.
std::string first_field(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  std::size_t start = line.find_first_not_of(" \t");
  if (start == std::string::npos) return "";
  if (line[start] == '"') {
    const std::size_t end = line.find('"', start + 1);
    return end == std::string::npos ? line : line.substr(start + 1, end - start - 1);
  }
  std::string field = line.substr(start, line.find(',', start) - start);
  field.erase(field.find_last_not_of(" \t") + 1);
  return field;
}

void progress(std::size_t done, std::size_t total, bool tty) {
  if (tty) {
    const int width = 40;
    const int filled = total ? static_cast<int>(width * done / total) : width;
    std::fprintf(stderr, "\r[%.*s%*s] %zu/%zu", filled, "########################################",
                 width - filled, "", done, total);
    if (done == total) std::fputc('\n', stderr);
  } else {
    std::fprintf(stderr, "hsm2fa: %zu of %zu users sent\n", done, total);
  }
  std::fflush(stderr);
}

}  // namespace

int bulk_command(const AppConfig& config, const std::string& action, const CommandLine& args) {
  const bool enable = action == "enable";
  const auto reason = args.options.find("reason");
  if ((action != "enable" && action != "disable") || args.words.size() != 2 ||
      (!enable && reason == args.options.end())) {
    std::fputs(
        "usage: hsm2fa bulk enable TENANT FILE\n"
        "       hsm2fa bulk disable TENANT FILE --reason TEXT [--until RFC3339]\n",
        stderr);
    return kExitUsage;
  }
  std::ifstream in(args.words[1]);
  if (!in) {
    std::fprintf(stderr, "hsm2fa: cannot read %s\n", args.words[1].c_str());
    return kExitUsage;
  }
  std::vector<Entry> entries;
  std::vector<std::string> problems;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    const std::string user = first_field(line);
    if (user.empty() || user[0] == '#') continue;
    if (number == 1 && (user == "user" || user == "user_id")) continue;  // a CSV header
    if (!is_user_id(user)) {
      problems.push_back("line " + std::to_string(number) +
                         ": not a user id (1-128 of A-Z a-z 0-9 . _ @ + -)");
      continue;
    }
    entries.push_back({number, user});
  }

  const bool tty = ::isatty(STDERR_FILENO) == 1;
  // The tenant segment encoded as user_target encodes it.
  const std::string target = user_target(args.words[0], "x", "");
  const std::string bulk_target = target.substr(0, target.find("/users/")) + "/two-factor/bulk";
  std::size_t changed = 0;
  for (std::size_t start = 0; start < entries.size(); start += kBatch) {
    const std::size_t end = std::min(entries.size(), start + kBatch);
    json::array users;
    for (std::size_t i = start; i < end; ++i) users.push_back(json::string(entries[i].user));
    json::object request{{"users", std::move(users)}, {"enabled", enable}};
    if (!enable) {
      request["reason"] = reason->second;
      if (auto until = args.options.find("until"); until != args.options.end()) {
        request["until"] = until->second;
      }
    }
    auto answer =
        call_daemon(config.listen.unix_socket, "POST", bulk_target, json::serialize(request));
    if (!answer) {
      std::fprintf(stderr, "hsm2fa: %s\n", answer.error().message.c_str());
      return kExitUnreachable;
    }
    const std::string_view text = answer->body.view();
    if (answer->status != 200) {
      std::fprintf(stderr, "\nhsm2fa: the daemon answered %u: %.*s\n", answer->status,
                   static_cast<int>(text.size()), text.data());
      return kExitFailed;
    }
    std::error_code ec;
    const json::value body = json::parse(text, ec);
    const json::array* results = nullptr;
    if (!ec && body.is_object()) {
      if (const auto* r = body.as_object().if_contains("results"); r && r->is_array()) {
        results = &r->as_array();
      }
    }
    if (!results || results->size() != end - start) {
      std::fputs("\nhsm2fa: the daemon's answer does not list every user\n", stderr);
      return kExitFailed;
    }
    for (std::size_t i = 0; i < results->size(); ++i) {
      const auto& result = (*results)[i].as_object();
      if (result.contains("ok") && result.at("ok") == true) {
        ++changed;
        continue;
      }
      std::string why = "refused";
      if (const auto* e = result.if_contains("error"); e && e->is_object()) {
        if (const auto* m = e->as_object().if_contains("message"); m && m->is_string()) {
          why = std::string(m->get_string());
        }
      }
      problems.push_back("line " + std::to_string(entries[start + i].line) + ": " + why);
    }
    progress(end, entries.size(), tty);
  }
  std::printf("%zu users %s, %zu lines failed\n", changed, enable ? "enabled" : "disabled",
              problems.size());
  for (const auto& problem : problems) std::fprintf(stderr, "hsm2fa: %s\n", problem.c_str());
  return problems.empty() ? kExitOk : kExitPartial;
}

}  // namespace hsm2fa::app
