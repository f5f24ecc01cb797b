#include "user_pool.hpp"

#include <chrono>

#include "hsm2fa/otp/hotp.hpp"
#include "hsm2fa/otp/software_hmac_oracle.hpp"

namespace hsm2fa::bench {

Result<std::string> totp_code(const SecretBytes& seed, std::int64_t step) {
  auto oracle = otp::SoftwareHmacOracle::create(HashAlg::sha1, seed.span());
  if (!oracle) return std::move(oracle).error();
  return otp::hotp(**oracle, static_cast<std::uint64_t>(step), kDigits);
}

std::int64_t current_step() { return step_now().step; }

StepNow step_now(double margin_seconds) {
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const auto step = static_cast<std::int64_t>(now / kPeriod);
  return StepNow{step, now + margin_seconds >= static_cast<double>((step + 1) * kPeriod)};
}

UserPool::UserPool(std::vector<BenchUser> users, int window)
    : users_(std::move(users)), lent_(users_.size(), 0), window_(window < 0 ? 0 : window) {}

void UserPool::start_step_if_new(StepNow now) {
  if (now.step != sweep_now_) {
    sweep_now_ = now.step;
    sweep_code_ = now.step - window_;
    cursor_ = 0;
  }
  // The oldest code step may no longer arrive in time: move on to the next one.
  if (now.ending && window_ > 0 && sweep_code_ < now.step - window_ + 1) {
    sweep_code_ = now.step - window_ + 1;
    cursor_ = 0;
  }
}

std::optional<Pick> UserPool::take(StepNow now) {
  std::unique_lock lock(mutex_);
  for (;;) {
    start_step_if_new(now);
    std::optional<std::int64_t> lent_skipped;  // the oldest code step a lent user still owes
    for (; sweep_code_ <= now.step + window_; ++sweep_code_, cursor_ = 0) {
      while (cursor_ < users_.size()) {
        const std::size_t i = cursor_++;
        if (users_[i].last_step >= sweep_code_) continue;
        if (lent_[i]) {
          if (!lent_skipped) lent_skipped = sweep_code_;
          continue;
        }
        users_[i].last_step = sweep_code_;
        lent_[i] = 1;
        return Pick{i, sweep_code_};
      }
    }
    if (!lent_skipped) return std::nullopt;
    // Only users in flight have codes left: wait for one to come back, then sweep again from
    // the oldest code step one of them skipped.
    sweep_code_ = *lent_skipped;
    cursor_ = 0;
    released_.wait_for(lock, std::chrono::milliseconds(50));
  }
}

void UserPool::release(std::size_t index) {
  {
    std::lock_guard lock(mutex_);
    lent_[index] = 0;
  }
  released_.notify_all();
}

std::size_t UserPool::codes_left(StepNow now) {
  std::lock_guard lock(mutex_);
  start_step_if_new(now);
  std::size_t left = 0;
  for (std::int64_t code = sweep_code_; code <= now.step + window_; ++code) {
    for (std::size_t i = code == sweep_code_ ? cursor_ : 0; i < users_.size(); ++i) {
      if (users_[i].last_step < code) ++left;
    }
  }
  return left;
}

}  // namespace hsm2fa::bench
