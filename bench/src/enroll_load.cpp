#include "enroll_load.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "hsm2fa/otp/base32.hpp"
#include "http_client.hpp"

namespace hsm2fa::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::string failure_text(const char* what, const Result<HttpAnswer>& answer) {
  if (!answer) return std::string(what) + ": " + answer.error().message;
  // Error envelopes carry no secret; a 201 body is never quoted.
  std::string text = std::string(what) + ": HTTP " + std::to_string(answer->status);
  if (answer->status >= 400) text += " " + answer->body.substr(0, 200);
  return text;
}

// One user: enroll, capture, confirm. Returns the active user or a failure description.
Result<BenchUser> enroll_one(UnixHttpClient& http, const EnrollPlan& plan, std::string name) {
  const std::string base = "/v1/tenants/" + plan.tenant + "/users/" + name + "/totp";
  auto created = http.call("POST", base, "");
  if (!created || created->status != 201) {
    return make_error(Errc::internal, failure_text("enroll", created));
  }
  BenchUser user{std::move(name), extract_secret(created->body), 0};
  secure_wipe(created->body.data(), created->body.size());
  if (user.seed.empty()) return make_error(Errc::internal, "enroll: no secret in the answer");
  for (std::int64_t offset : {-1, 0}) {
    const std::int64_t step = current_step() + offset;
    auto code = totp_code(user.seed, step);
    if (!code) return std::move(code).error();
    auto confirmed = http.call("POST", base + "/confirm", "{\"code\":\"" + *code + "\"}");
    if (!confirmed || confirmed->status != 200) {
      return make_error(Errc::internal, failure_text("confirm", confirmed));
    }
    if (confirmed->body.find("\"valid\":true") != std::string::npos) {
      user.last_step = step;
      return user;
    }
  }
  return make_error(Errc::internal, "confirm: code refused twice");
}

}  // namespace

SecretBytes extract_secret(std::string_view body) {
  static constexpr std::string_view kKey = "\"secret\":\"";
  const std::size_t at = body.find(kKey);
  if (at == std::string_view::npos) return {};
  const std::size_t from = at + kKey.size();
  const std::size_t end = body.find('"', from);
  if (end == std::string_view::npos) return {};
  auto seed = otp::base32_decode(body.substr(from, end - from));
  if (!seed) return {};
  return std::move(*seed);
}

EnrollResult enroll_users(const EnrollPlan& plan) {
  EnrollResult result;
  std::mutex mutex;
  std::atomic<std::size_t> next{0};
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + std::chrono::duration_cast<Clock::duration>(
                                                 std::chrono::duration<double>(plan.max_seconds));
  std::atomic<bool> out_of_time{false};
  auto client = [&] {
    UnixHttpClient http(plan.socket);
    for (;;) {
      if (Clock::now() >= deadline) {
        out_of_time = true;
        return;
      }
      const std::size_t i = next.fetch_add(1);
      if (i >= plan.users) return;
      auto user = enroll_one(http, plan, plan.user_prefix + std::to_string(i));
      std::lock_guard lock(mutex);
      if (user) {
        result.users.push_back(std::move(*user));
      } else {
        if (result.failed++ == 0) result.first_failure = user.error().message;
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < std::max(1u, plan.connections); ++i) threads.emplace_back(client);
  for (auto& t : threads) t.join();
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.out_of_time = out_of_time && next.load() < plan.users;
  return result;
}

}  // namespace hsm2fa::bench
