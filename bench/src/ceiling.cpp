#include "ceiling.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "latency.hpp"
#include "user_pool.hpp"

namespace hsm2fa::bench {
namespace {

using Clock = std::chrono::steady_clock;

Clock::time_point after(double seconds) {
  return Clock::now() +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

// Destroys token-mode seeds however the measurement ends (wrapped refs need nothing).
struct SeedSet {
  SeedVault& vault;
  std::vector<SeedRef> refs;
  ~SeedSet() {
    if (vault.custody() != Custody::token) return;
    for (const SeedRef& r : refs) (void)vault.destroy(r);
  }
};

Result<double> verify_rate(SeedVault& vault, const std::vector<SeedRef>& refs,
                           const CeilingPlan& plan) {
  std::atomic<std::uint64_t> done{0};
  std::atomic<bool> failed{false};
  Error first_error;
  std::mutex error_mutex;
  const std::uint64_t step = static_cast<std::uint64_t>(current_step());
  const std::array<std::uint64_t, 3> window{step - 1, step, step + 1};
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = after(plan.seconds);
  auto worker = [&](unsigned index) {
    std::uint64_t n = 0;
    for (std::size_t i = index; Clock::now() < deadline && !failed; i += plan.threads) {
      auto oracle = vault.oracle(refs[i % refs.size()]);
      auto macs =
          oracle ? (*oracle)->mac_counters(window) : Result<std::vector<Mac>>(oracle.error());
      if (!macs) {
        std::lock_guard lock(error_mutex);
        if (!failed.exchange(true)) first_error = macs.error();
        break;
      }
      ++n;
    }
    done += n;
  };
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < plan.threads; ++i) threads.emplace_back(worker, i);
  for (auto& t : threads) t.join();
  if (failed) return first_error;
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(done.load()) / seconds;
}

// Seeds generated exportable, as an enrollment does, on one thread for about `seconds`.
Result<double> generate_rate(SeedSet& made, double seconds) {
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = after(seconds);
  std::uint64_t n = 0;
  while (Clock::now() < deadline) {
    auto ref = made.vault.generate(HashAlg::sha1, true);
    if (!ref) return std::move(ref).error();
    if (made.vault.custody() == Custody::token) made.refs.push_back(std::move(*ref));
    ++n;
  }
  return static_cast<double>(n) / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

Result<CeilingResult> measure_ceiling(const CeilingPlan& plan) {
  auto token = hsm::open_token(plan.token);
  if (!token) return std::move(token).error();
  auto vault = hsm::make_seed_vault(*token, plan.token);
  if (!vault) return std::move(vault).error();
  CeilingResult result;
  result.threads = std::max(1u, plan.threads);
  {
    SeedSet seeds{**vault, {}};
    for (std::size_t i = 0; i < plan.seeds; ++i) {
      auto ref = (*vault)->generate(HashAlg::sha1, false);
      if (!ref) return std::move(ref).error();
      seeds.refs.push_back(std::move(*ref));
    }
    result.seeds = seeds.refs.size();
    // Short rounds and their median: one round can catch the machine busy with something else.
    CeilingPlan effective = plan;
    effective.threads = result.threads;
    effective.seconds = plan.seconds / std::max(1u, plan.rounds);
    for (unsigned round = 0; round < std::max(1u, plan.rounds); ++round) {
      auto verify = verify_rate(**vault, seeds.refs, effective);
      if (!verify) return std::move(verify).error();
      result.verify_rounds.push_back(*verify);
    }
    result.verify_per_s = median(result.verify_rounds);
  }
  if (plan.measure_generate) {
    SeedSet made{**vault, {}};
    auto generate = generate_rate(made, std::min(plan.seconds, 1.0));
    if (!generate) return std::move(generate).error();
    result.generate_per_s = *generate;
  }
  vault->reset();
  token->reset();
  return result;
}

}  // namespace hsm2fa::bench
