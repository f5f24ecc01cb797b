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

std::int64_t current_step() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return static_cast<std::int64_t>(
      otp::totp_step(std::chrono::duration_cast<std::chrono::seconds>(now).count(), kPeriod));
}

void UserPool::rewind_if_new(std::int64_t step) {
  if (step == cursor_step_) return;
  cursor_step_ = step;
  cursor_ = 0;
  taken_this_step_ = 0;
  blocked_this_step_ = 0;
  for (const BenchUser& u : users_) {
    if (u.last_step >= step) ++blocked_this_step_;
  }
}

std::optional<std::size_t> UserPool::take(std::int64_t step) {
  std::lock_guard lock(mutex_);
  rewind_if_new(step);
  while (cursor_ < users_.size()) {
    BenchUser& u = users_[cursor_++];
    if (u.last_step >= step) continue;
    u.last_step = step;
    ++taken_this_step_;
    return cursor_ - 1;
  }
  return std::nullopt;
}

std::size_t UserPool::fresh_left(std::int64_t step) {
  std::lock_guard lock(mutex_);
  rewind_if_new(step);
  return users_.size() - taken_this_step_ - blocked_this_step_;
}

}  // namespace hsm2fa::bench
