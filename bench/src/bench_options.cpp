#include "bench_options.hpp"

#include <charconv>
#include <string_view>

namespace hsm2fa::bench {

const char* const kBenchUsage =
    "usage: hsm2fa bench [--config FILE] [--users N] [--seconds S] [--levels 1,2,4,...]\n"
    "                    [--wrong-every N] [--enroll-connections N] [--ceiling-seconds S]\n"
    "                    [--results DIR] [--populate N] [--daemon-pid PID] [--scale-json FILE]\n"
    "  Benchmarks the running hsm2fad of FILE against its token's ceiling. It enrolls users and\n"
    "  spends their codes: run it on a throw-away deployment (scripts/bench.sh makes one).\n"
    "  --users N            users to enroll (20000)\n"
    "  --seconds S          length of each concurrency level and of the half-rate run (2)\n"
    "  --levels LIST        client connections per level (1,2,4,8,16,32)\n"
    "  --wrong-every N      one wrong code after every Nth accepted one (20: 5 %; 0: none)\n"
    "  --enroll-connections N  connections enrolling in parallel (8)\n"
    "  --ceiling-seconds S  length of each ceiling measurement, in 3 rounds (3)\n"
    "  --enroll-seconds S   stop enrolling after S seconds, fewer users then (40)\n"
    "  --max-wait-seconds S total wait for a fresh time step when users run out (30)\n"
    "  --results DIR        where <timestamp>-<custody>.json and .png go (results)\n"
    "  --populate N         only add N users in bulk (seeds generated and wrapped in the token,\n"
    "                       stored by Store::import_totp_batch); no daemon; prints JSON\n"
    "  --daemon-pid PID     report the daemon's RSS at rest and its peak under load\n"
    "  --scale-json FILE    a JSON object (populate, start-up figures) to report as \"scale\"\n";

namespace {

template <class T>
bool parse_number(std::string_view text, T& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;
}

Error bad(const std::string& option, const std::string& why) {
  return make_error(Errc::invalid_argument, "--" + option + ": " + why);
}

}  // namespace

Result<BenchOptions> parse_bench_options(int argc, char** argv) {
  BenchOptions o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      o.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0)
      return make_error(Errc::invalid_argument, "unexpected \"" + arg + "\"");
    const std::string name = arg.substr(2);
    if (i + 1 >= argc) return bad(name, "needs a value");
    const std::string value = argv[++i];
    if (name == "config") {
      o.config = value;
    } else if (name == "users") {
      std::size_t n = 0;
      if (!parse_number(value, n) || n == 0) return bad(name, "a positive integer");
      o.users = n;
    } else if (name == "seconds" || name == "ceiling-seconds" || name == "enroll-seconds" ||
               name == "max-wait-seconds") {
      double s = 0;
      if (!parse_number(value, s) || !(s >= 0 && s <= 3600))
        return bad(name, "seconds in [0, 3600]");
      if (s == 0 && name != "max-wait-seconds") return bad(name, "must be positive");
      if (name == "enroll-seconds") {
        o.enroll_seconds = s;
      } else {
        (name == "seconds"           ? o.seconds
         : name == "ceiling-seconds" ? o.ceiling_seconds
                                     : o.max_wait_seconds) = s;
      }
    } else if (name == "levels") {
      o.levels.clear();
      std::string_view rest = value;
      while (!rest.empty()) {
        const std::size_t comma = std::min(rest.find(','), rest.size());
        unsigned n = 0;
        if (!parse_number(rest.substr(0, comma), n) || n == 0 || n > 1024) {
          return bad(name, "comma-separated connection counts in [1, 1024]");
        }
        o.levels.push_back(n);
        rest.remove_prefix(std::min(comma + 1, rest.size()));
      }
      if (o.levels.empty()) return bad(name, "at least one level");
    } else if (name == "wrong-every") {
      if (!parse_number(value, o.wrong_every)) return bad(name, "a non-negative integer");
    } else if (name == "enroll-connections") {
      if (!parse_number(value, o.enroll_connections) || o.enroll_connections == 0 ||
          o.enroll_connections > 256) {
        return bad(name, "an integer in [1, 256]");
      }
    } else if (name == "populate") {
      std::size_t n = 0;
      if (!parse_number(value, n) || n == 0 || n > 100000000) {
        return bad(name, "an integer in [1, 100000000]");
      }
      o.populate = n;
    } else if (name == "daemon-pid") {
      int pid = 0;
      if (!parse_number(value, pid) || pid <= 0) return bad(name, "a process id");
      o.daemon_pid = pid;
    } else if (name == "scale-json") {
      o.scale_json = value;
    } else if (name == "results") {
      o.results = value;
    } else {
      return make_error(Errc::invalid_argument, "unknown option --" + name);
    }
  }
  return o;
}

}  // namespace hsm2fa::bench
