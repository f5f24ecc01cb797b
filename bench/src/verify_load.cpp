#include "verify_load.hpp"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "http_client.hpp"

namespace hsm2fa::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct ClientTally {
  std::vector<std::int64_t> latency_ns;
  std::uint64_t requests = 0, accepted = 0, wrong_refused = 0, unexpected = 0, errors = 0;
  Clock::time_point finished;
};

std::string verify_target(const LoadPlan& plan, const std::string& user) {
  return "/v1/tenants/" + plan.tenant + "/users/" + user + "/verify";
}

// A code that is not the user's code for `step`: the valid one shifted by half the code space.
std::string wrong_code(const std::string& valid) {
  std::string out = valid;
  out[0] = static_cast<char>('0' + (out[0] - '0' + 5) % 10);
  return out;
}

bool says_valid(const HttpAnswer& a) {
  return a.status == 200 && a.body.find("\"valid\":true") != std::string::npos;
}
bool says_invalid(const HttpAnswer& a) {
  return a.status == 200 && a.body.find("\"valid\":false") != std::string::npos;
}

}  // namespace

LoadResult run_verify_load(const LoadPlan& plan, UserPool& users) {
  std::atomic<bool> stop{false};
  std::atomic<bool> ran_out{false};
  std::atomic<std::uint64_t> accepted_total{0};
  std::vector<ClientTally> tallies(plan.connections);
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + std::chrono::duration_cast<Clock::duration>(
                                                 std::chrono::duration<double>(plan.seconds));
  // Rate-limited: each connection owns every connections-th slot of one global schedule.
  const auto interval =
      plan.offered_per_s > 0
          ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                static_cast<double>(plan.connections) / plan.offered_per_s))
          : Clock::duration::zero();

  auto client = [&](unsigned index) {
    ClientTally& t = tallies[index];
    UnixHttpClient http(plan.socket);
    Clock::time_point scheduled = start + interval * index / std::max(1u, plan.connections);
    auto send = [&](const std::string& target,
                    const std::string& code) -> std::optional<HttpAnswer> {
      if (plan.offered_per_s > 0) {
        std::this_thread::sleep_until(scheduled);
      } else {
        scheduled = Clock::now();
      }
      const std::string body = "{\"code\":\"" + code + "\"}";
      auto answer = http.call("POST", target, body);
      const Clock::time_point done = Clock::now();
      t.latency_ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(done - scheduled).count());
      scheduled += interval;
      if (!answer) {
        ++t.errors;
        return std::nullopt;
      }
      ++t.requests;
      return std::move(*answer);
    };
    // One valid code, and perhaps a wrong one for the same user; the user stays lent until both
    // answers are in, so that no other connection overtakes with a later code.
    auto spend = [&](const Pick& pick) {
      const BenchUser& user = users.user(pick.index);
      auto code = totp_code(user.seed, pick.code_step);
      if (!code) {
        ++t.errors;
        return;
      }
      const std::string target = verify_target(plan, user.name);
      auto answer = send(target, *code);
      if (!answer) return;
      if (!says_valid(*answer)) {
        ++t.unexpected;
        return;
      }
      ++t.accepted;
      const std::uint64_t n = accepted_total.fetch_add(1) + 1;
      if (plan.wrong_every == 0 || n % plan.wrong_every != 0) return;
      auto refused = send(target, wrong_code(*code));
      if (!refused) return;
      if (says_invalid(*refused)) {
        ++t.wrong_refused;
      } else {
        ++t.unexpected;
      }
    };
    while (!stop.load(std::memory_order_relaxed)) {
      if (Clock::now() >= deadline) break;
      auto picked = users.take(step_now());
      if (!picked) {
        ran_out = true;
        stop = true;
        break;
      }
      spend(*picked);
      users.release(picked->index);
    }
    t.finished = Clock::now();
  };

  std::vector<std::thread> threads;
  threads.reserve(plan.connections);
  for (unsigned i = 0; i < plan.connections; ++i) threads.emplace_back(client, i);
  for (auto& th : threads) th.join();

  LoadResult r;
  r.connections = plan.connections;
  r.offered_per_s = plan.offered_per_s;
  r.users_ran_out = ran_out;
  Clock::time_point end = start;
  std::vector<std::int64_t> all;
  for (ClientTally& t : tallies) {
    end = std::max(end, t.finished);
    r.requests += t.requests;
    r.accepted += t.accepted;
    r.wrong_refused += t.wrong_refused;
    r.unexpected += t.unexpected;
    r.transport_errors += t.errors;
    all.insert(all.end(), t.latency_ns.begin(), t.latency_ns.end());
  }
  r.seconds = std::chrono::duration<double>(end - start).count();
  r.latency = summarize(all);
  return r;
}

}  // namespace hsm2fa::bench
