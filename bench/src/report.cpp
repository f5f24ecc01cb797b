#include "report.hpp"

#include <spawn.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "json_text.hpp"

extern char** environ;

namespace hsm2fa::bench {
namespace {

double round3(double v) { return static_cast<double>(std::llround(v * 1000.0)) / 1000.0; }

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon != std::string::npos) return line.substr(line.find_first_not_of(' ', colon + 1));
  }
  return "unknown";
}

// Runs `gnuplot script`; true if it exited 0.
bool run_gnuplot(const std::filesystem::path& script) {
  std::string program = "gnuplot";
  std::string arg = script.string();
  char* argv[] = {program.data(), arg.data(), nullptr};
  pid_t pid = 0;
  if (::posix_spawnp(&pid, "gnuplot", nullptr, nullptr, argv, environ) != 0) return false;
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string gnuplot_script(const std::filesystem::path& dat, const std::filesystem::path& png,
                           const std::string& title) {
  return "set terminal pngcairo size 900,540 noenhanced\n"
         "set output '" +
         png.string() +
         "'\n"
         "set title '" +
         title +
         "'\n"
         "set logscale x 2\n"
         "set xlabel 'connections'\n"
         "set ylabel 'verifications/s'\n"
         "set y2label 'p99 latency (ms)'\n"
         "set ytics nomirror\nset y2tics\nset yrange [0:*]\nset y2range [0:*]\nset grid\n"
         "set key top left\n"
         "plot '" +
         dat.string() +
         "' using 1:2 with linespoints lw 2 title 'throughput', \\\n"
         "     '' using 1:3 axes x1y2 with linespoints lw 2 title 'p99'\n";
}

}  // namespace

boost::json::array load_average() {
  double avg[3] = {0, 0, 0};
  const int n = ::getloadavg(avg, 3);
  boost::json::array out;
  for (int i = 0; i < 3; ++i) out.push_back(i < n ? round3(avg[i]) : 0.0);
  return out;
}

boost::json::object machine_info() {
  boost::json::object m;
  m["cores"] = std::thread::hardware_concurrency();
  m["model"] = cpu_model();
  m["load_average"] = load_average();
  return m;
}

boost::json::object to_json(const LoadResult& r) {
  boost::json::object o;
  o["connections"] = r.connections;
  if (r.offered_per_s > 0) o["offered_per_s"] = round3(r.offered_per_s);
  o["seconds"] = round3(r.seconds);
  o["requests"] = r.requests;
  o["per_s"] = round3(r.per_s());
  o["accepted"] = r.accepted;
  o["wrong_refused"] = r.wrong_refused;
  o["unexpected"] = r.unexpected;
  o["transport_errors"] = r.transport_errors;
  o["users_ran_out"] = r.users_ran_out;
  o["p50_ms"] = round3(r.latency.p50_ms);
  o["p90_ms"] = round3(r.latency.p90_ms);
  o["p99_ms"] = round3(r.latency.p99_ms);
  o["max_ms"] = round3(r.latency.max_ms);
  return o;
}

Result<Written> write_results(const std::filesystem::path& dir, const std::string& stem,
                              const boost::json::object& report,
                              const std::vector<LoadResult>& levels) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return make_error(Errc::internal, "results directory " + dir.string() + ": " + ec.message());
  Written w{dir / (stem + ".json"), dir / (stem + ".png"), false};
  {
    std::ofstream out(w.json);
    out << json_text(report) << '\n';
    if (!out) return make_error(Errc::internal, "cannot write " + w.json.string());
  }
  const auto dat = dir / (stem + ".dat");
  const auto gp = dir / (stem + ".gp");
  {
    std::ofstream out(dat);
    out << "# connections verify_per_s p99_ms\n";
    for (const LoadResult& r : levels) {
      out << r.connections << ' ' << r.per_s() << ' ' << r.latency.p99_ms << '\n';
    }
    std::ofstream script(gp);
    script << gnuplot_script(dat, w.png, "hsm2fa verify over the Unix socket: " + stem);
    if (!out || !script) return make_error(Errc::internal, "cannot write the plot inputs");
  }
  w.plotted = run_gnuplot(gp);
  return w;
}

}  // namespace hsm2fa::bench
