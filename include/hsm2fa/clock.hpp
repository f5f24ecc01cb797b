// Server time. Verification never takes a time from a request; tests inject a ManualClock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace hsm2fa {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point now() const = 0;
  std::int64_t unix_seconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
  }
};

class SystemClock final : public Clock {
 public:
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::now();
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t unix_seconds) : t_(unix_seconds * 1000) {}
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(t_.load()));
  }
  void set(std::int64_t unix_seconds) { t_ = unix_seconds * 1000; }
  void advance(std::chrono::milliseconds d) { t_ += d.count(); }

 private:
  std::atomic<std::int64_t> t_;
};

}  // namespace hsm2fa
