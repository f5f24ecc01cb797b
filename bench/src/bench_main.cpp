// The order of a bench run: ceiling (alone on the token, the daemon idle), enrollment, verify at
// rising concurrency, verify at half the best rate; then one JSON object.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/json/parse.hpp>

#include "bench_options.hpp"
#include "ceiling.hpp"
#include "daemon_metrics.hpp"
#include "enroll_load.hpp"
#include "hsm2fa/app/config.hpp"
#include "hsm2fa/bench/bench.hpp"
#include "http_client.hpp"
#include "json_text.hpp"
#include "latency.hpp"
#include "populate.hpp"
#include "process_figures.hpp"
#include "report.hpp"
#include "verify_load.hpp"

namespace hsm2fa::bench {
namespace {

constexpr int kExitOk = 0, kExitFailed = 1, kExitUsage = 2, kExitUnreachable = 3;
// Enough distinct codes for every level (up to three per user in one step: the window). Token
// custody makes its token objects on tmpfs by default (scripts/bench.sh), so it enrolls about as
// many users as wrapped custody within --enroll-seconds.
constexpr std::size_t kDefaultUsers = 20000;

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

// Users should not run out in the middle of a level: if fewer codes are left in this step's
// window than the level is expected to use, wait for the next step, which gives every user one
// more; but never past `budget` seconds of waiting in all (then the level runs short and says
// so).
double wait_for_users(UserPool& pool, double expected_per_s, double seconds, double& budget) {
  const std::size_t want = std::min(
      pool.size(), expected_per_s > 0 ? static_cast<std::size_t>(expected_per_s * seconds * 1.2)
                                      : pool.size() / 4);
  const std::int64_t step = current_step();
  const std::size_t fresh = pool.codes_left(step_now());
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

// One scrape of the daemon's /metrics; a failed scrape reports nothing (the figures are extra).
class DaemonScrape {
 public:
  explicit DaemonScrape(const std::filesystem::path& socket) {
    if (auto sample = scrape_metrics(socket)) sample_ = std::move(*sample);
  }
  // The counters' growth since `before` as out["daemon"], if both scrapes found any.
  void put_growth_since(const DaemonScrape& before, boost::json::object& out) const {
    if (!sample_ || !before.sample_) return;
    boost::json::object d = counter_deltas(*before.sample_, *sample_);
    if (!d.empty()) out["daemon"] = std::move(d);
  }

 private:
  std::optional<MetricSample> sample_;
};

bool healthy(const std::filesystem::path& socket) {
  UnixHttpClient http(socket);
  auto answer = http.call("GET", "/v1/health", "");
  return answer && answer->status == 200;
}

boost::json::array rounds_json(const std::vector<double>& rounds) {
  boost::json::array out;
  for (double r : rounds) out.push_back(std::llround(r));
  return out;
}

// "ceiling" and "ceiling_per_s": the median of the rounds before and after the load (only those
// before if the second measurement failed, which the report then says). The generate rate is
// measured before only. Returns that median.
double put_ceiling(boost::json::object& report, const CeilingResult& before,
                   const Result<CeilingResult>& after, bool token_custody) {
  std::vector<double> rounds = before.verify_rounds;
  boost::json::object ceiling{
      {"threads", before.threads},
      {"seeds_rotated", before.seeds},
      {"work", token_custody ? "3 HMACs, cached handle" : "unwrap + 3 HMACs + destroy"},
      {"verify_rounds_before", rounds_json(before.verify_rounds)},
      {"generate_per_s", std::llround(before.generate_per_s)}};
  if (after) {
    rounds.insert(rounds.end(), after->verify_rounds.begin(), after->verify_rounds.end());
    ceiling["verify_rounds_after"] = rounds_json(after->verify_rounds);
  } else {
    ceiling["after_error"] = after.error().message;
  }
  const double verify = median(std::move(rounds));
  ceiling["verify_per_s"] = std::llround(verify);
  report["ceiling"] = std::move(ceiling);
  report["ceiling_per_s"] = std::llround(verify);
  return verify;
}

}  // namespace

int bench_main(int argc, char** argv) {
  // stdout carries the one JSON object: the token layer's log lines go to stderr.
  spdlog::set_default_logger(spdlog::stderr_logger_mt("hsm2fa-bench"));
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
  const std::size_t users = options->users.value_or(kDefaultUsers);
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
  report["codes_per_user_per_step"] = 2 * config->service.window + 1;

  std::optional<RssPeak> rss_peak;
  if (options->daemon_pid) {
    const auto rest = resident_bytes(*options->daemon_pid);
    if (rest) report["daemon_rss_at_rest_bytes"] = *rest;
    rss_peak.emplace(*options->daemon_pid);
  }

  // The ceiling is the uncached token work (unwrap + HMACs + destroy): the load's distinct users
  // cycle through more keys than the daemon's key cache holds, so that is what they cost. It is
  // measured before the load and again after it (the daemon idle both times), and the ratios use
  // the median of every round: single measurements of it moved by half from run to run.
  hsm::TokenConfig ceiling_token = config->token;
  ceiling_token.key_cache_size = 0;
  const CeilingPlan ceiling_plan{ceiling_token, token_threads, options->ceiling_seconds, 3,
                                 token_custody ? 16u : 256u};
  progress("ceiling: %s custody, %u thread(s), 3 rounds of %.1f s", custody, token_threads,
           options->ceiling_seconds / 3);
  auto ceiling = measure_ceiling(ceiling_plan);
  if (!ceiling) {
    std::fprintf(stderr, "hsm2fa bench: ceiling: %s\n", ceiling.error().message.c_str());
    return kExitFailed;
  }
  progress("ceiling %.0f verifications/s (median of 3), %.0f seeds generated/s",
           ceiling->verify_per_s, ceiling->generate_per_s);

  progress("enrolling %zu users over %u connections", users, options->enroll_connections);
  const DaemonScrape at_start(socket);
  EnrollResult enrolled =
      enroll_users(EnrollPlan{socket, "default", "bench-" + utc_stamp() + "-", users,
                              options->enroll_connections, options->enroll_seconds.value_or(40.0)});
  const DaemonScrape after_enroll(socket);
  report["users_enrolled"] = enrolled.users.size();
  if (enrolled.out_of_time) {
    report["users_enrolled_note"] = "enrollment stopped by --enroll-seconds to keep the run short";
  }
  report["enroll"] = {{"users", enrolled.users.size()},
                      {"failed", enrolled.failed},
                      {"seconds", enrolled.seconds},
                      {"connections", options->enroll_connections}};
  if (enrolled.failed) report["enroll"].as_object()["first_failure"] = enrolled.first_failure;
  after_enroll.put_growth_since(at_start, report["enroll"].as_object());
  const double enroll_per_s = enrolled.per_s();  // before the users move to the pool
  report["enroll_per_s"] = std::llround(enroll_per_s);
  progress("enrolled %zu users in %.1f s (%.0f/s), %llu failed", enrolled.users.size(),
           enrolled.seconds, enrolled.per_s(), static_cast<unsigned long long>(enrolled.failed));
  if (enrolled.users.empty()) {
    std::fprintf(stderr, "hsm2fa bench: no user enrolled: %s\n", enrolled.first_failure.c_str());
    return kExitFailed;
  }

  UserPool pool(std::move(enrolled.users), config->service.window);
  std::vector<LoadResult> levels;
  boost::json::array level_json;
  double best = 0, waited = 0, wait_budget = options->max_wait_seconds;
  unsigned best_connections = 1;
  bool clean = enrolled.failed == 0, ran_out = false;
  const std::vector<unsigned> level_plan =
      !options->levels.empty() ? options->levels : std::vector<unsigned>{1, 2, 4, 8, 16, 32};
  const DaemonScrape before_levels(socket);
  for (unsigned connections : level_plan) {
    waited += wait_for_users(pool, best * 2, options->seconds, wait_budget);
    const DaemonScrape before(socket);
    LoadResult r = run_verify_load(
        LoadPlan{socket, "default", connections, options->seconds, 0, options->wrong_every}, pool);
    const DaemonScrape after(socket);
    progress("%3u connections: %7.0f/s  p50 %.2f  p99 %.2f  max %.2f ms%s", connections, r.per_s(),
             r.latency.p50_ms, r.latency.p99_ms, r.latency.max_ms,
             r.users_ran_out ? "  (users ran out)" : "");
    clean = clean && r.unexpected == 0 && r.transport_errors == 0;
    ran_out = ran_out || r.users_ran_out;
    // A level cut short by running out of users is too short to be the maximum.
    const bool long_enough = r.seconds >= options->seconds / 2 && r.requests >= 50;
    if (long_enough && r.per_s() > best) {
      best = r.per_s();
      best_connections = connections;
    }
    boost::json::object level = to_json(r);
    after.put_growth_since(before, level);
    level_json.push_back(std::move(level));
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

  waited += wait_for_users(pool, best / 2, options->seconds, wait_budget);
  const DaemonScrape before_half(socket);
  LoadResult half = run_verify_load(LoadPlan{socket, "default", std::max(2u, best_connections),
                                             options->seconds, best / 2, options->wrong_every},
                                    pool);
  const DaemonScrape after_half(socket);
  clean = clean && half.unexpected == 0 && half.transport_errors == 0;
  ran_out = ran_out || half.users_ran_out;
  progress("half rate (%.0f/s offered): %.0f/s  p50 %.2f  p99 %.2f ms", best / 2, half.per_s(),
           half.latency.p50_ms, half.latency.p99_ms);
  report["half_rate"] = to_json(half);
  after_half.put_growth_since(before_half, report["half_rate"].as_object());
  // Over every verify level and the half-rate run (the waits for a fresh step in between add
  // nothing: the daemon is idle then).
  after_half.put_growth_since(before_levels, report);
  progress("ceiling again, after the load");
  CeilingPlan after_plan = ceiling_plan;
  after_plan.measure_generate = false;  // enrollment ran right after the first one
  auto ceiling_after = measure_ceiling(after_plan);
  const double ceiling_per_s = put_ceiling(report, *ceiling, ceiling_after, token_custody);
  const double generate_per_s = ceiling->generate_per_s;
  report["enroll_ratio"] = generate_per_s > 0 ? enroll_per_s / generate_per_s : 0.0;
  report["ratio"] = ceiling_per_s > 0 ? best / ceiling_per_s : 0.0;
  progress("ceiling %.0f verifications/s (median of every round); verify/ceiling %.2f",
           ceiling_per_s, report["ratio"].as_double());
  report["any_level_ran_out_of_users"] = ran_out;
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
    if (const auto* tmpfs = scale->if_contains("token_dir_on_tmpfs")) {
      report["token_dir_on_tmpfs"] = *tmpfs;
      if (token_custody && tmpfs->is_bool() && tmpfs->as_bool()) {
        report["token_dir_note"] =
            "token directory on tmpfs (scripts/bench.sh's default in token custody): SoftHSM2 "
            "writes a file per token object, ~120/s on the disk, too few users for the levels. "
            "Verification writes nothing there, but SoftHSM2 re-checks the key's file on every "
            "C_SignInit, which tmpfs makes cheaper for the ceiling and the daemon alike "
            "(bench/README.md). --token-on-disk keeps it on the disk";
      }
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
