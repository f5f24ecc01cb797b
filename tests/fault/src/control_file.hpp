// The control file named by HSM2FA_FAULT_CONTROL, re-read whenever it changes so that a test can
// switch faults on and off while the process using the module runs. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "fault_plan.hpp"

namespace hsm2fa::fault {

class ControlFile {
 public:
  // Watch `path` (empty: no faults). `seed` drives `fraction=`; nullopt seeds from the OS. Counters
  // restart whenever the path is set or the file's content is replaced.
  void watch(std::string path, std::optional<std::uint64_t> seed);

  // The fault for this call of `function`, after a stat(2) of the file (one syscall when nothing
  // changed). A missing or unreadable file means no faults.
  std::optional<Fault> decide(std::size_t function);

 private:
  // What stat(2) says about the file; any difference means "re-read". Writers should replace the
  // file by rename (new inode) or change its size: two writes within the file system's timestamp
  // granularity that keep inode and size are otherwise indistinguishable.
  struct Version {
    unsigned long long device = 0, inode = 0;
    long long size = -1, mtime_sec = 0, mtime_nsec = 0, ctime_sec = 0, ctime_nsec = 0;
    friend bool operator==(const Version&, const Version&) = default;
  };
  static std::optional<Version> current_version(const std::string& path);
  void reload(const Version& version);
  std::uint64_t next_seed();

  std::mutex mutex_;
  std::string path_;
  std::optional<std::uint64_t> seed_;
  std::optional<Version> loaded_;  // nullopt: nothing loaded (missing file or not yet read)
  FaultPlan plan_;
};

}  // namespace hsm2fa::fault
