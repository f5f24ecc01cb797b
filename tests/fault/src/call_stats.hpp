// Per-function call and fault counters, published to the file named by HSM2FA_FAULT_STATS as
// `<function> <calls> <faults>` lines (functions never called are omitted). Thread-safe.
//
// Publishing policy: the file is replaced (tmp + rename, so readers never see half a file) after a
// call when the call was faulted, when it is a lifecycle or login-state call (C_Initialize,
// C_Finalize, C_InitToken, C_InitPIN, C_SetPIN, C_OpenSession, C_CloseSession, C_CloseAllSessions,
// C_Login, C_Logout), or when `interval` has passed since the last write. Counts of those calls and
// of faults are therefore exact as soon as the call returns; others may lag by up to `interval`
// (0 = write after every call).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>

#include "cryptoki_functions.hpp"

namespace hsm2fa::fault {

class CallStats {
 public:
  // Publish to `path` (empty: count only). A different path than before restarts the counts, so
  // one process can run independent scenarios; the same path keeps counting across
  // C_Finalize/C_Initialize, so a re-initialisation shows in the totals.
  void publish_to(std::string path, std::chrono::milliseconds interval);

  void count_call(std::size_t function) {
    calls_[function].fetch_add(1, std::memory_order_relaxed);
  }
  void count_fault(std::size_t function) {
    faults_[function].fetch_add(1, std::memory_order_relaxed);
  }

  // After a call of `function` returned; writes the file if the policy above says so.
  void after_call(std::size_t function, bool faulted);

 private:
  void write_locked();

  std::array<std::atomic<std::uint64_t>, kFunctionCount> calls_{};
  std::array<std::atomic<std::uint64_t>, kFunctionCount> faults_{};
  std::mutex write_mutex_;  // guards everything below
  std::string path_;
  std::chrono::milliseconds interval_{100};
  std::chrono::steady_clock::time_point last_write_{};
  bool reported_write_error_ = false;
};

}  // namespace hsm2fa::fault
