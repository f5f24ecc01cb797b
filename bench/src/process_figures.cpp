#include "process_figures.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>

namespace hsm2fa::bench {

std::optional<std::uint64_t> resident_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) != 0) continue;
    return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;  // "VmRSS:   12345 kB"
  }
  return std::nullopt;
}

std::optional<std::uint64_t> sqlite_bytes(const std::string& store_url) {
  constexpr std::string_view kScheme = "sqlite:";
  if (store_url.rfind(kScheme, 0) != 0) return std::nullopt;
  const std::string path = store_url.substr(kScheme.size());
  std::uint64_t total = 0;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path + suffix, ec);
    if (!ec) total += size;
  }
  return total;
}

RssPeak::RssPeak(pid_t pid) : pid_(pid) {
  thread_ = std::thread([this] {
    while (!stopping_.load()) {
      if (auto rss = resident_bytes(pid_); rss && *rss > peak_.load()) peak_.store(*rss);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
}

std::uint64_t RssPeak::stop() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
  return peak_.load();
}

}  // namespace hsm2fa::bench
