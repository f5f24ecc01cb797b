#include "call_stats.hpp"

#include <unistd.h>

#include <cstdio>
#include <string_view>

namespace hsm2fa::fault {
namespace {

bool always_published(std::size_t function) {
  constexpr std::string_view kAlways[] = {
      "C_Initialize",  "C_Finalize",     "C_InitToken",        "C_InitPIN", "C_SetPIN",
      "C_OpenSession", "C_CloseSession", "C_CloseAllSessions", "C_Login",   "C_Logout"};
  for (const auto name : kAlways) {
    if (kFunctionNames[function] == name) return true;
  }
  return false;
}

}  // namespace

void CallStats::publish_to(std::string path, std::chrono::milliseconds interval) {
  std::lock_guard lock(write_mutex_);
  if (path != path_) {
    for (auto& count : calls_) count.store(0, std::memory_order_relaxed);
    for (auto& count : faults_) count.store(0, std::memory_order_relaxed);
    reported_write_error_ = false;
  }
  path_ = std::move(path);
  interval_ = interval;
  last_write_ = {};
}

void CallStats::after_call(std::size_t function, bool faulted) {
  const bool forced = faulted || always_published(function);
  std::unique_lock lock(write_mutex_, std::defer_lock);
  if (forced) {
    lock.lock();
  } else if (!lock.try_lock()) {
    return;  // another thread is writing; a snapshot moments later is as good as ours
  }
  if (path_.empty()) return;
  const auto now = std::chrono::steady_clock::now();
  if (!forced && now - last_write_ < interval_) return;
  write_locked();
  last_write_ = now;
}

void CallStats::write_locked() {
  // Per-process temporary name: two processes pointed at one stats file must not interleave
  // bytes in one temporary (their final files still replace each other: use one file per process).
  const std::string temporary = path_ + ".tmp." + std::to_string(::getpid());
  std::FILE* out = std::fopen(temporary.c_str(), "w");
  bool ok = out != nullptr;
  for (std::size_t i = 0; ok && i < kFunctionCount; ++i) {
    const auto calls = calls_[i].load(std::memory_order_relaxed);
    if (calls == 0) continue;
    const auto faults = faults_[i].load(std::memory_order_relaxed);
    ok = std::fprintf(out, "%.*s %llu %llu\n", static_cast<int>(kFunctionNames[i].size()),
                      kFunctionNames[i].data(), static_cast<unsigned long long>(calls),
                      static_cast<unsigned long long>(faults)) > 0;
  }
  if (out != nullptr && std::fclose(out) != 0) ok = false;
  if (ok && std::rename(temporary.c_str(), path_.c_str()) == 0) return;
  std::remove(temporary.c_str());
  if (!reported_write_error_) {
    reported_write_error_ = true;  // once per path: a full disk must not flood stderr
    std::fprintf(stderr, "hsm2fa_fault_p11: cannot write stats file %s\n", path_.c_str());
  }
}

}  // namespace hsm2fa::fault
