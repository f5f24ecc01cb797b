// The bench's enrolled users and the rule that keeps every offered code valid. Replay protection
// is durable: the daemon keeps each user's last accepted step and accepts only a later one, from
// the window [now - w, now + w] (service.window). So in one step a user is good for up to 2w + 1
// codes if they are spent oldest first, and for one more each step after that. The pool hands
// out, for the current step, every user's oldest code in the window, then the next, and so on,
// and never lends one user to two connections at once (their codes must arrive in order).
#pragma once

#include <condition_variable>
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

// The current step, and whether it ends within `margin_seconds`: then a code of the oldest step
// in the window could reach the daemon after that step has left the window.
struct StepNow {
  std::int64_t step = 0;
  bool ending = false;
};
StepNow step_now(double margin_seconds = 1.0);

// One code to offer: user `index`'s code for `code_step`.
struct Pick {
  std::size_t index = 0;
  std::int64_t code_step = 0;
};

// Thread-safe.
class UserPool {
 public:
  explicit UserPool(std::vector<BenchUser> users, int window = 1);

  // The next unused code in the window of now.step, oldest step first, marked used; its user is
  // lent until release(). When now.ending, the window's oldest step is skipped. If only lent
  // users have codes left, waits for a release. nullopt when no user has a code left.
  std::optional<Pick> take(StepNow now);
  // The answer for a pick is in: its user may be taken again.
  void release(std::size_t index);
  // How many codes take() can still hand out at `now` (users lent meanwhile aside).
  std::size_t codes_left(StepNow now);

  const BenchUser& user(std::size_t index) const { return users_[index]; }
  std::size_t size() const noexcept { return users_.size(); }
  int window() const noexcept { return window_; }

 private:
  void start_step_if_new(StepNow now);

  std::mutex mutex_;
  std::condition_variable released_;
  std::vector<BenchUser> users_;
  std::vector<char> lent_;
  int window_;
  // The sweep: for `sweep_now_`'s step, code step `sweep_code_` is handed out to users from
  // index `cursor_` on; then the next code step, from index 0.
  std::int64_t sweep_now_ = -1;
  std::int64_t sweep_code_ = 0;
  std::size_t cursor_ = 0;
};

}  // namespace hsm2fa::bench
