// Figures about the daemon under test that the bench reads from outside: its resident memory
// (sampled in the background, so a peak under load is seen) and the size of its SQLite database.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

namespace hsm2fa::bench {

// VmRSS of `pid` in bytes; nullopt if the process is gone or /proc cannot be read.
std::optional<std::uint64_t> resident_bytes(pid_t pid);

// Bytes of the database file with its -wal and -shm files for an "sqlite:PATH" URL; nullopt for
// any other store.
std::optional<std::uint64_t> sqlite_bytes(const std::string& store_url);

// Samples resident_bytes(pid) every 100 ms from construction to stop(), keeping the peak.
class RssPeak {
 public:
  explicit RssPeak(pid_t pid);
  RssPeak(const RssPeak&) = delete;
  RssPeak& operator=(const RssPeak&) = delete;
  ~RssPeak() { stop(); }
  std::uint64_t stop();  // the peak in bytes (0: never read)

 private:
  pid_t pid_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> peak_{0};
  std::thread thread_;
};

}  // namespace hsm2fa::bench
