// The bench's enrolled users and the rule that keeps every offered code valid: replay protection
// is durable, so a user's code for a time step can be accepted once. The pool hands each user out
// at most once per step (and never for a step at or before the one its confirmation used).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hsm2fa/result.hpp"
#include "hsm2fa/secret.hpp"

namespace hsm2fa::bench {

inline constexpr int kPeriod = 30;  // the bench enrolls with the API's defaults: SHA1, 6 digits
inline constexpr int kDigits = 6;

struct BenchUser {
  std::string name;
  SecretBytes seed;            // the pairing secret captured while pending (throw-away token)
  std::int64_t last_step = 0;  // the step the daemon last accepted for this user
};

// The TOTP code of `seed` for `step` (SHA1, kDigits), computed in software.
Result<std::string> totp_code(const SecretBytes& seed, std::int64_t step);

// The current TOTP step of the system clock (the daemon's clock on the same machine).
std::int64_t current_step();

// Thread-safe.
class UserPool {
 public:
  explicit UserPool(std::vector<BenchUser> users) : users_(std::move(users)) {}

  // A user whose code for `step` is still unused, marked used; nullopt when every user has
  // been handed out for `step`.
  std::optional<std::size_t> take(std::int64_t step);
  // How many users take(step) can still hand out.
  std::size_t fresh_left(std::int64_t step);

  const BenchUser& user(std::size_t index) const { return users_[index]; }
  std::size_t size() const noexcept { return users_.size(); }

 private:
  void rewind_if_new(std::int64_t step);

  std::mutex mutex_;
  std::vector<BenchUser> users_;
  std::size_t cursor_ = 0;
  std::int64_t cursor_step_ = -1;
  std::size_t taken_this_step_ = 0;
  std::size_t blocked_this_step_ = 0;  // users whose last_step is already >= the cursor's step
};

}  // namespace hsm2fa::bench
