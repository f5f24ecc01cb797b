#include "control_file.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

namespace hsm2fa::fault {

void ControlFile::watch(std::string path, std::optional<std::uint64_t> seed) {
  std::lock_guard lock(mutex_);
  path_ = std::move(path);
  seed_ = seed;
  loaded_.reset();
  plan_ = FaultPlan{};
}

std::optional<Fault> ControlFile::decide(std::size_t function) {
  std::lock_guard lock(mutex_);
  if (path_.empty()) return std::nullopt;
  const auto version = current_version(path_);
  if (!version) {
    loaded_.reset();
    plan_ = FaultPlan{};
    return std::nullopt;
  }
  if (version != loaded_) reload(*version);
  return plan_.decide(function);
}

std::optional<ControlFile::Version> ControlFile::current_version(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  Version version;
  version.device = info.st_dev;
  version.inode = info.st_ino;
  version.size = info.st_size;
  version.mtime_sec = info.st_mtim.tv_sec;
  version.mtime_nsec = info.st_mtim.tv_nsec;
  version.ctime_sec = info.st_ctim.tv_sec;
  version.ctime_nsec = info.st_ctim.tv_nsec;
  return version;
}

void ControlFile::reload(const Version& version) {
  std::ifstream in(path_, std::ios::binary);
  if (!in.is_open()) {
    // Vanished between stat and open (a writer's rename): no faults now, retry on the next call.
    loaded_.reset();
    plan_ = FaultPlan{};
    return;
  }
  std::ostringstream text;
  text << in.rdbuf();
  ParsedRules parsed = parse_rules(text.str());
  // The file holds only function and CKR names, never a secret; a rejected line is a test bug that
  // must be visible rather than silently turning a fault test into a pass-through test.
  for (const auto& problem : parsed.problems) {
    std::fprintf(stderr, "hsm2fa_fault_p11: %s: %s (line ignored)\n", path_.c_str(),
                 problem.c_str());
  }
  plan_ = FaultPlan(std::move(parsed.rules), next_seed());
  loaded_ = version;
}

std::uint64_t ControlFile::next_seed() {
  if (seed_) return *seed_;
  std::random_device device;
  return (std::uint64_t{device()} << 32) | device();
}

}  // namespace hsm2fa::fault
