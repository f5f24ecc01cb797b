#include "daemon_metrics.hpp"

#include <charconv>
#include <cmath>
#include <optional>

#include "http_client.hpp"

namespace hsm2fa::bench {
namespace {

std::optional<double> parse_value(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

// Where the series name (with labels) of `line` ends: after a closing brace outside quotes, or
// at the first blank; npos if the labels never close.
std::size_t series_end(std::string_view line) {
  const std::size_t brace = line.find('{');
  const std::size_t blank = line.find(' ');
  if (brace == std::string_view::npos || brace > blank) return blank;
  bool quoted = false;
  for (std::size_t i = brace + 1; i < line.size(); ++i) {
    if (quoted && line[i] == '\\') {
      ++i;
    } else if (line[i] == '"') {
      quoted = !quoted;
    } else if (!quoted && line[i] == '}') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

std::optional<double> growth(const MetricSample& before, const MetricSample& after,
                             std::string_view name) {
  const auto b = before.find(name);
  const auto a = after.find(name);
  if (b == before.end() || a == after.end()) return std::nullopt;
  return a->second - b->second;
}

double round3(double v) { return std::round(v * 1000.0) / 1000.0; }

}  // namespace

MetricSample parse_metrics_text(std::string_view text) {
  MetricSample out;
  while (!text.empty()) {
    const std::size_t eol = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(std::min(eol + 1, text.size()));
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const std::size_t end = series_end(line);
    if (end == std::string_view::npos || end == 0 || end >= line.size() || line[end] != ' ') {
      continue;
    }
    std::string_view rest = line.substr(end + 1);
    rest = rest.substr(0, rest.find(' '));  // an optional timestamp follows
    if (auto v = parse_value(rest)) out.insert_or_assign(std::string(line.substr(0, end)), *v);
  }
  return out;
}

Result<MetricSample> scrape_metrics(const std::filesystem::path& socket) {
  UnixHttpClient http(socket);
  auto answer = http.call("GET", "/metrics", "");
  if (!answer) return std::move(answer).error();
  if (answer->status != 200) {
    return make_error(Errc::internal, "GET /metrics: HTTP " + std::to_string(answer->status));
  }
  return parse_metrics_text(answer->body);
}

boost::json::object counter_deltas(const MetricSample& before, const MetricSample& after) {
  boost::json::object out;
  auto put = [&](const char* key, std::string_view metric) {
    auto d = growth(before, after, metric);
    if (d) out[key] = static_cast<std::int64_t>(std::llround(*d));
    return d;
  };
  auto ratio = [&](const char* key, std::optional<double> num, std::optional<double> den) {
    if (num && den && *den > 0) out[key] = round3(*num / *den);
  };
  const auto hits = put("key_cache_hits", "hsm2fa_key_cache_hits_total");
  const auto misses = put("key_cache_misses", "hsm2fa_key_cache_misses_total");
  if (hits && misses) ratio("key_cache_hit_rate", hits, *hits + *misses);
  const auto commits = put("store_commits", "hsm2fa_store_group_commits_total");
  const auto writes = put("store_writes", "hsm2fa_store_group_commit_writes_total");
  ratio("store_writes_per_fsync", writes, commits);
  const auto syncs = put("audit_syncs", "hsm2fa_audit_syncs_total");
  const auto lines = put("audit_lines", "hsm2fa_audit_synced_lines_total");
  ratio("audit_lines_per_sync", lines, syncs);
  put("hsm_calls", "hsm2fa_hsm_calls_total");
  put("module_recycles", "hsm2fa_hsm_module_recycles_total{result=\"done\"}");
  return out;
}

}  // namespace hsm2fa::bench
