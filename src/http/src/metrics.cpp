#include "hsm2fa/http/metrics.hpp"

#include <charconv>

namespace hsm2fa::http {

namespace {

// Label values here are route templates, method names and CKR_* names; escaping keeps the
// exposition valid whatever a caller passes.
std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// Shortest round-trip form: "0.0025", not "0.0025000000000000001".
std::string number(double v) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : "0";
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void counter(std::string& out, std::string_view name, std::string_view help,
             std::optional<std::uint64_t> value) {
  if (!value) return;
  header(out, name, "counter", help);
  out.append(name).append(" ").append(std::to_string(*value)).append("\n");
}

}  // namespace

Metrics::Metrics(std::string version, std::function<TokenMetrics()> token,
                 std::function<KekRotationMetrics()> kek_rotation,
                 std::function<DurabilityMetrics()> durability)
    : version_(std::move(version)),
      token_(std::move(token)),
      kek_rotation_(std::move(kek_rotation)),
      durability_(std::move(durability)) {}

void Metrics::observe_request(std::string_view route, std::string_view method, unsigned status,
                              double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{std::string(route), std::string(method), status}];
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) ++latency_buckets_[i];
  }
  ++latency_count_;
  latency_sum_ += seconds;
}

void Metrics::observe_verify(std::string_view outcome) {
  std::lock_guard lock(mutex_);
  ++verify_[std::string(outcome)];
}

std::string Metrics::render() const {
  // Scrape the token outside our lock: its stats take the token layer's own locks.
  std::optional<TokenMetrics> token;
  if (token_) token = token_();
  std::optional<KekRotationMetrics> rotation;
  if (kek_rotation_) rotation = kek_rotation_();
  std::optional<DurabilityMetrics> durability;
  if (durability_) durability = durability_();

  std::string out;
  header(out, "hsm2fa_build_info", "gauge", "Build information.");
  out += "hsm2fa_build_info{version=\"" + escape_label(version_) + "\"} 1\n";
  {
    std::lock_guard lock(mutex_);
    header(out, "hsm2fa_http_requests_total", "counter", "HTTP requests by route and status.");
    for (const auto& [key, count] : requests_) {
      const auto& [route, method, status] = key;
      out += "hsm2fa_http_requests_total{route=\"" + escape_label(route) + "\",method=\"" +
             escape_label(method) + "\",status=\"" + std::to_string(status) + "\"} " +
             std::to_string(count) + "\n";
    }
    header(out, "hsm2fa_http_request_duration_seconds", "histogram",
           "Time from a complete request to its response.");
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      out += "hsm2fa_http_request_duration_seconds_bucket{le=\"" + number(kLatencyBuckets[i]) +
             "\"} " + std::to_string(latency_buckets_[i]) + "\n";
    }
    out += "hsm2fa_http_request_duration_seconds_bucket{le=\"+Inf\"} " +
           std::to_string(latency_count_) + "\n";
    out += "hsm2fa_http_request_duration_seconds_sum " + number(latency_sum_) + "\n";
    out += "hsm2fa_http_request_duration_seconds_count " + std::to_string(latency_count_) + "\n";
    header(out, "hsm2fa_verify_total", "counter", "Verification outcomes.");
    for (const auto& [outcome, count] : verify_) {
      out += "hsm2fa_verify_total{result=\"" + escape_label(outcome) + "\"} " +
             std::to_string(count) + "\n";
    }
  }
  if (token) {
    header(out, "hsm2fa_hsm_up", "gauge", "Whether the token answers.");
    out += "hsm2fa_hsm_up " + std::string(token->up ? "1" : "0") + "\n";
    header(out, "hsm2fa_hsm_calls_total", "counter", "PKCS#11 calls made.");
    out += "hsm2fa_hsm_calls_total " + std::to_string(token->calls) + "\n";
    header(out, "hsm2fa_hsm_errors_total", "counter", "PKCS#11 calls that failed, by CKR name.");
    for (const auto& [rv, count] : token->errors_by_rv) {
      out += "hsm2fa_hsm_errors_total{ckr=\"" + escape_label(rv) + "\"} " + std::to_string(count) +
             "\n";
    }
    header(out, "hsm2fa_hsm_sessions_open", "gauge", "Token sessions in the pool.");
    out += "hsm2fa_hsm_sessions_open " + std::to_string(token->sessions_open) + "\n";
    header(out, "hsm2fa_hsm_sessions_in_use", "gauge", "Token sessions lent out.");
    out += "hsm2fa_hsm_sessions_in_use " + std::to_string(token->sessions_in_use) + "\n";
    header(out, "hsm2fa_hsm_call_timeouts_total", "counter",
           "Token operations cut off at the call timeout (answered 503).");
    out += "hsm2fa_hsm_call_timeouts_total " + std::to_string(token->call_timeouts) + "\n";
    header(out, "hsm2fa_hsm_breaker_open", "gauge",
           "Whether the circuit breaker refuses token work without calling the token.");
    out += "hsm2fa_hsm_breaker_open " + std::string(token->breaker_open ? "1" : "0") + "\n";
    header(out, "hsm2fa_hsm_breaker_refusals_total", "counter",
           "Token operations refused by the open circuit breaker (answered 503).");
    out += "hsm2fa_hsm_breaker_refusals_total " + std::to_string(token->breaker_refusals) + "\n";
    header(out, "hsm2fa_hsm_objects_created_total", "counter",
           "Objects the token made for this process (keys generated, unwrapped, created).");
    out += "hsm2fa_hsm_objects_created_total " + std::to_string(token->objects_created) + "\n";
    header(out, "hsm2fa_hsm_objects_destroyed_total", "counter",
           "Objects this process destroyed in the token.");
    out += "hsm2fa_hsm_objects_destroyed_total " + std::to_string(token->objects_destroyed) + "\n";
    if (token->recycle_after_objects > 0) {
      header(out, "hsm2fa_hsm_module_recycles_total", "counter",
             "Module re-initialisations (recycle_after_objects), by outcome.");
      out += "hsm2fa_hsm_module_recycles_total{result=\"done\"} " +
             std::to_string(token->module_recycles) + "\n";
      out += "hsm2fa_hsm_module_recycles_total{result=\"deferred\"} " +
             std::to_string(token->recycle_deferrals) + "\n";
      out += "hsm2fa_hsm_module_recycles_total{result=\"failed\"} " +
             std::to_string(token->recycle_failures) + "\n";
      header(out, "hsm2fa_hsm_module_recycle_seconds", "gauge",
             "How long the last re-initialisation held token operations back.");
      out += "hsm2fa_hsm_module_recycle_seconds " + number(token->last_recycle_seconds) + "\n";
    }
    if (token->key_cache_capacity > 0) {
      header(out, "hsm2fa_key_cache_hits_total", "counter",
             "Verifications that found their unwrapped key cached.");
      out += "hsm2fa_key_cache_hits_total " + std::to_string(token->key_cache_hits) + "\n";
      header(out, "hsm2fa_key_cache_misses_total", "counter",
             "Lookups that had to check and unwrap the seed ref.");
      out += "hsm2fa_key_cache_misses_total " + std::to_string(token->key_cache_misses) + "\n";
      header(out, "hsm2fa_key_cache_evictions_total", "counter",
             "Cached keys destroyed to make room.");
      out +=
          "hsm2fa_key_cache_evictions_total " + std::to_string(token->key_cache_evictions) + "\n";
      header(out, "hsm2fa_key_cache_keys", "gauge", "Unwrapped keys held in the token.");
      out += "hsm2fa_key_cache_keys " + std::to_string(token->key_cache_size) + "\n";
      header(out, "hsm2fa_key_cache_capacity", "gauge", "The configured key_cache_size.");
      out += "hsm2fa_key_cache_capacity " + std::to_string(token->key_cache_capacity) + "\n";
    }
  }
  if (rotation) {
    header(out, "hsm2fa_kek_rotation_running", "gauge", "Whether a KEK rotation pass runs.");
    out += "hsm2fa_kek_rotation_running " + std::string(rotation->running ? "1" : "0") + "\n";
    header(out, "hsm2fa_kek_rotation_remaining", "gauge",
           "Active blobs still under an older KEK in the current rotation pass.");
    out += "hsm2fa_kek_rotation_remaining " + std::to_string(rotation->remaining) + "\n";
    header(out, "hsm2fa_kek_rotation_done", "gauge", "Blobs re-wrapped in the current pass.");
    out += "hsm2fa_kek_rotation_done " + std::to_string(rotation->done) + "\n";
    header(out, "hsm2fa_kek_rotation_failed", "gauge", "Blobs the current pass could not re-wrap.");
    out += "hsm2fa_kek_rotation_failed " + std::to_string(rotation->failed) + "\n";
  }
  if (durability) {
    counter(out, "hsm2fa_store_group_commits_total",
            "Store write batches committed, one fsync each.", durability->store_commits);
    counter(out, "hsm2fa_store_group_commit_writes_total", "Store writes in those batches.",
            durability->store_writes);
    counter(out, "hsm2fa_audit_syncs_total", "Audit log fdatasyncs.", durability->audit_syncs);
    counter(out, "hsm2fa_audit_synced_lines_total", "Audit lines made durable by them.",
            durability->audit_lines);
  }
  return out;
}

}  // namespace hsm2fa::http
