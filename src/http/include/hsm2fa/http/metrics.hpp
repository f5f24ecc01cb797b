// Prometheus text exposition (format 0.0.4). Labels carry route templates and outcomes only,
// never a user id. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

namespace hsm2fa::http {

// What the token layer reports; the app adapts the hsm module's stats into this so that http
// does not depend on hsm.
struct TokenMetrics {
  bool up = false;
  std::uint64_t calls = 0;
  std::map<std::string, std::uint64_t> errors_by_rv;  // CKR_* name -> count
  std::size_t sessions_open = 0;
  std::size_t sessions_in_use = 0;
  bool breaker_open = false;            // token work refused without a call (open or half-open)
  std::uint64_t call_timeouts = 0;      // token operations cut off at [hsm] call_timeout_ms
  std::uint64_t breaker_refusals = 0;   // token operations refused by the open breaker
  std::uint64_t objects_created = 0;    // objects the module made for this process
  std::uint64_t objects_destroyed = 0;  // and destroyed
  // Module recycling ([hsm] recycle_after_objects); rendered only when enabled.
  std::size_t recycle_after_objects = 0;
  std::uint64_t module_recycles = 0, recycle_deferrals = 0, recycle_failures = 0;
  double last_recycle_seconds = 0;
  // Wrapped mode's cache of unwrapped seed keys; rendered only when capacity > 0.
  std::uint64_t key_cache_hits = 0, key_cache_misses = 0, key_cache_evictions = 0;
  std::size_t key_cache_size = 0, key_cache_capacity = 0;
};

// An online KEK rotation's progress (wrapped mode, kek_rotation = "trusted").
struct KekRotationMetrics {
  std::uint64_t remaining = 0;  // active blobs still under an older KEK in the current pass
  std::uint64_t done = 0;       // re-wrapped in the current (or last) pass
  std::uint64_t failed = 0;     // could not be re-wrapped in that pass
  bool running = false;
};

// Group commit of the durable writes: the store's batches (one fsync each) and the audit log's
// fdatasyncs. A source that does not batch (PostgreSQL) leaves its pair out.
struct DurabilityMetrics {
  std::optional<std::uint64_t> store_commits, store_writes;
  std::optional<std::uint64_t> audit_syncs, audit_lines;
};

class Metrics {
 public:
  // `token`, `kek_rotation` and `durability` are called on every scrape (from a worker thread);
  // any may be empty (then its metrics are left out).
  explicit Metrics(std::string version, std::function<TokenMetrics()> token = {},
                   std::function<KekRotationMetrics()> kek_rotation = {},
                   std::function<DurabilityMetrics()> durability = {});

  void observe_request(std::string_view route, std::string_view method, unsigned status,
                       double seconds);
  // "valid", "wrong_code", "replayed", "not_enrolled", "expired", "rate_limited", "invalid",
  // "error"
  void observe_verify(std::string_view outcome);

  std::string render() const;

  static constexpr std::array<double, 12> kLatencyBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0};

 private:
  std::string version_;
  std::function<TokenMetrics()> token_;
  std::function<KekRotationMetrics()> kek_rotation_;
  std::function<DurabilityMetrics()> durability_;
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, unsigned>, std::uint64_t> requests_;
  std::map<std::string, std::uint64_t> verify_;
  std::array<std::uint64_t, kLatencyBuckets.size()> latency_buckets_{};
  std::uint64_t latency_count_ = 0;
  double latency_sum_ = 0;
};

}  // namespace hsm2fa::http
