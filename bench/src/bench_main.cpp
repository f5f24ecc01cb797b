// The order of a bench run: ceiling (alone on the token, the daemon idle), enrollment, verify at
// rising concurrency, verify at half the best rate; then one JSON object.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include <boost/json/parse.hpp>

#include "bench_options.hpp"
#include "ceiling.hpp"
#include "enroll_load.hpp"
#include "hsm2fa/app/config.hpp"
#include "hsm2fa/bench/bench.hpp"
#include "http_client.hpp"
#include "json_text.hpp"
#include "populate.hpp"
#include "process_figures.hpp"
#include "report.hpp"
#include "verify_load.hpp"

namespace hsm2fa::bench {
namespace {

constexpr int kExitOk = 0, kExitFailed = 1, kExitUsage = 2, kExitUnreachable = 3;
constexpr std::size_t kWrappedUsers = 20000, kTokenUsers = 2000;

void progress(const char* format, auto... args) {
  std::fprintf(stderr, "bench: ");
  std::fprintf(stderr, format, args...);
  std::fputc('\n', stderr);
}

std::string utc_stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &tm);
  return text;
}

// Users should not run out in the middle of a level: if fewer are fresh in this step than the
// level is expected to use, wait for the next step, when every user is fresh again; but never
// past `budget` seconds of waiting in all (then the level runs short and says so).
double wait_for_users(UserPool& pool, double expected_per_s, double seconds, double& budget) {
  const std::size_t want = std::min(
      pool.size(), expected_per_s > 0 ? static_cast<std::size_t>(expected_per_s * seconds * 1.2)
                                      : pool.size() / 4);
  const std::int64_t step = current_step();
  const std::size_t fresh = pool.fresh_left(step);
  if (fresh >= want) return 0;
  // Too few to measure anything: wait whatever the budget says.
  const bool must = fresh < std::min<std::size_t>(pool.size() / 2, 100);
  const auto next =
      std::chrono::system_clock::time_point(std::chrono::seconds((step + 1) * kPeriod)) +
      std::chrono::milliseconds(20);
  const double needed =
      std::chrono::duration<double>(next - std::chrono::system_clock::now()).count();
  if (!must && needed > budget) return 0;
  std::this_thread::sleep_until(next);
  budget = std::max(0.0, budget - needed);
  return needed;
}

// `hsm2fa bench --populate N`: the bulk phase of the scale run, with no daemon running.
int populate_main(const BenchOptions& options, const app::AppConfig& config) {
  progress("populating %zu users (%s custody)", *options.populate,
           config.token.custody == Custody::token ? "token" : "wrapped");
  auto done = populate_users(
      PopulatePlan{config.token, config.store_url, "default", "scale-", *options.populate});
  if (!done) {
    std::fprintf(stderr, "hsm2fa bench: populate: %s\n", done.error().message.c_str());
    return kExitFailed;
  }
  boost::json::object report{{"users", done->users},
                             {"seconds", done->seconds},
                             {"per_s", done->seconds > 0 ? done->users / done->seconds : 0.0},
                             {"generate_seconds", done->generate_seconds},
                             {"insert_seconds", done->insert_seconds}};
  if (auto db = sqlite_bytes(config.store_url)) report["db_bytes"] = *db;
  progress("populated %zu users in %.1f s", done->users, done->seconds);
  std::printf("%s\n", json_text(report).c_str());
  return kExitOk;
}

Result<boost::json::object> read_json_object(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  auto value = boost::json::parse(text.str(), ec);
  if (ec || !value.is_object()) {
    return make_error(Errc::invalid_argument,
                      "--scale-json: " + path.string() + " does not hold a JSON object");
  }
  return std::move(value.as_object());
}

bool healthy(const std::filesystem::path& socket) {
  UnixHttpClient http(socket);
  auto answer = http.call("GET", "/v1/health", "");
  return answer && answer->status == 200;
}

}  // namespace

int bench_main(int argc, char** argv) {
  auto options = parse_bench_options(argc, argv);
  if (!options) {
    std::fprintf(stderr, "hsm2fa bench: %s\n%s", options.error().message.c_str(), kBenchUsage);
    return kExitUsage;
  }
  if (options->help) {
    std::fputs(kBenchUsage, stdout);
    return kExitOk;
  }
  auto config = app::load_config(app::config_path(options->config));
  if (!config) {
    std::fprintf(stderr, "hsm2fa bench: %s\n", config.error().message.c_str());
    return kExitUsage;
  }
  if (options->populate) return populate_main(*options, *config);
  const auto wall_start = std::chrono::steady_clock::now();
  const auto& socket = config->listen.unix_socket;
  if (!healthy(socket)) {
    std::fprintf(stderr, "hsm2fa bench: hsm2fad at %s is not up and healthy\n", socket.c_str());
    return kExitUnreachable;
  }
  const bool token_custody = config->token.custody == Custody::token;
  const char* custody = token_custody ? "token" : "wrapped";
  const std::size_t users = options->users.value_or(token_custody ? kTokenUsers : kWrappedUsers);
  const unsigned workers = static_cast<unsigned>(config->server.worker_threads);
  // The ceiling runs as many threads as the daemon lets into the token at once.
  const unsigned token_threads = static_cast<unsigned>(config->service.token_concurrency);

  boost::json::object report;
  report["machine"] = machine_info();
  report["custody"] = custody;
  report["store"] = config->store_url.substr(0, config->store_url.find(':'));
  report["worker_threads"] = workers;
  report["token_concurrency"] = token_threads;
  report["users"] = users;
  if (token_custody && !options->users) {
    report["users_note"] =
        "token custody aims at 2,000 users (not 20,000): each seed is a token object, which "
        "SoftHSM2 creates slowly (about 150/s in DESIGN.md, far fewer on a busy disk); see "
        "users_enrolled";
  }

  std::optional<RssPeak> rss_peak;
  if (options->daemon_pid) {
    const auto rest = resident_bytes(*options->daemon_pid);
    if (rest) report["daemon_rss_at_rest_bytes"] = *rest;
    rss_peak.emplace(*options->daemon_pid);
  }

  progress("ceiling: %s custody, %u thread(s), %.1f s", custody, token_threads,
           options->ceiling_seconds);
  // The ceiling is the uncached token work (unwrap + HMACs + destroy): the load's distinct users
  // cycle through more keys than the daemon's key cache holds, so that is what they cost.
  hsm::TokenConfig ceiling_token = config->token;
  ceiling_token.key_cache_size = 0;
  auto ceiling = measure_ceiling(CeilingPlan{ceiling_token, token_threads, options->ceiling_seconds,
                                             token_custody ? 16u : 256u});
  if (!ceiling) {
    std::fprintf(stderr, "hsm2fa bench: ceiling: %s\n", ceiling.error().message.c_str());
    return kExitFailed;
  }
  report["ceiling"] = {
      {"threads", ceiling->threads},
      {"seeds_rotated", ceiling->seeds},
      {"verify_per_s", std::llround(ceiling->verify_per_s)},
      {"generate_per_s", std::llround(ceiling->generate_per_s)},
      {"work", token_custody ? "3 HMACs, cached handle" : "unwrap + 3 HMACs + destroy"}};
  report["ceiling_per_s"] = std::llround(ceiling->verify_per_s);
  progress("ceiling %.0f verifications/s, %.0f seeds generated/s", ceiling->verify_per_s,
           ceiling->generate_per_s);

  progress("enrolling %zu users over %u connections", users, options->enroll_connections);
  EnrollResult enrolled = enroll_users(EnrollPlan{
      socket, "default", "bench-" + utc_stamp() + "-", users, options->enroll_connections,
      options->enroll_seconds.value_or(token_custody ? 25.0 : 40.0)});
  report["users_enrolled"] = enrolled.users.size();
  if (enrolled.out_of_time) {
    report["users_enrolled_note"] = "enrollment stopped by --enroll-seconds to keep the run short";
  }
  report["enroll"] = {{"users", enrolled.users.size()},
                      {"failed", enrolled.failed},
                      {"seconds", enrolled.seconds},
                      {"connections", options->enroll_connections}};
  if (enrolled.failed) report["enroll"].as_object()["first_failure"] = enrolled.first_failure;
  report["enroll_per_s"] = std::llround(enrolled.per_s());
  report["enroll_ratio"] =
      ceiling->generate_per_s > 0 ? enrolled.per_s() / ceiling->generate_per_s : 0.0;
  progress("enrolled %zu users in %.1f s (%.0f/s), %llu failed", enrolled.users.size(),
           enrolled.seconds, enrolled.per_s(), static_cast<unsigned long long>(enrolled.failed));
  if (enrolled.users.empty()) {
    std::fprintf(stderr, "hsm2fa bench: no user enrolled: %s\n", enrolled.first_failure.c_str());
    return kExitFailed;
  }

  UserPool pool(std::move(enrolled.users));
  std::vector<LoadResult> levels;
  boost::json::array level_json;
  double best = 0, waited = 0, wait_budget = options->max_wait_seconds;
  unsigned best_connections = 1;
  bool clean = enrolled.failed == 0;
  const std::vector<unsigned> level_plan = !options->levels.empty() ? options->levels
                                           : token_custody
                                               ? std::vector<unsigned>{1, 8}
                                               : std::vector<unsigned>{1, 2, 4, 8, 16, 32};
  for (unsigned connections : level_plan) {
    waited += wait_for_users(pool, best * 2, options->seconds, wait_budget);
    LoadResult r = run_verify_load(
        LoadPlan{socket, "default", connections, options->seconds, 0, options->wrong_every}, pool);
    progress("%3u connections: %7.0f/s  p50 %.2f  p99 %.2f  max %.2f ms%s", connections, r.per_s(),
             r.latency.p50_ms, r.latency.p99_ms, r.latency.max_ms,
             r.users_ran_out ? "  (users ran out)" : "");
    clean = clean && r.unexpected == 0 && r.transport_errors == 0;
    // A level cut short by running out of users is too short to be the maximum.
    const bool long_enough = r.seconds >= options->seconds / 2 && r.requests >= 50;
    if (long_enough && r.per_s() > best) {
      best = r.per_s();
      best_connections = connections;
    }
    level_json.push_back(to_json(r));
    levels.push_back(r);
  }
  if (best == 0) {  // every level ran short: the best of them is all there is
    for (const LoadResult& r : levels) {
      if (r.per_s() > best) {
        best = r.per_s();
        best_connections = r.connections;
      }
    }
  }
  report["levels"] = std::move(level_json);
  report["verify_per_s"] = std::llround(best);
  report["verify_best_connections"] = best_connections;
  report["ratio"] = ceiling->verify_per_s > 0 ? best / ceiling->verify_per_s : 0.0;

  waited += wait_for_users(pool, best / 2, options->seconds, wait_budget);
  LoadResult half = run_verify_load(LoadPlan{socket, "default", std::max(2u, best_connections),
                                             options->seconds, best / 2, options->wrong_every},
                                    pool);
  clean = clean && half.unexpected == 0 && half.transport_errors == 0;
  progress("half rate (%.0f/s offered): %.0f/s  p50 %.2f  p99 %.2f ms", best / 2, half.per_s(),
           half.latency.p50_ms, half.latency.p99_ms);
  report["half_rate"] = to_json(half);
  report["p99_ms_at_half_rate"] = half.latency.p99_ms;
  report["waited_for_fresh_step_s"] = waited;
  report["load_average_end"] = load_average();
  report["wall_seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  report["clean"] = clean;
  if (rss_peak) report["daemon_rss_peak_bytes"] = rss_peak->stop();
  if (auto db = sqlite_bytes(config->store_url)) report["db_bytes"] = *db;
  if (options->scale_json) {
    auto scale = read_json_object(*options->scale_json);
    if (!scale) {
      std::fprintf(stderr, "hsm2fa bench: %s\n", scale.error().message.c_str());
      return kExitFailed;
    }
    report["scale"] = std::move(*scale);
  }

  const std::string stem = utc_stamp() + "-" + custody;
  report["timestamp"] = stem.substr(0, stem.find('-'));
  auto written = write_results(options->results, stem, report, levels);
  if (!written) {
    std::fprintf(stderr, "hsm2fa bench: %s\n", written.error().message.c_str());
  } else {
    progress("wrote %s%s", written->json.c_str(),
             written->plotted ? " and the plot" : " (no plot: gnuplot failed)");
  }
  std::printf("%s\n", json_text(report).c_str());
  return clean && written ? kExitOk : kExitFailed;
}

}  // namespace hsm2fa::bench
