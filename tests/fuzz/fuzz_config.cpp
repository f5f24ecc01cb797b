// The configuration loader on arbitrary file contents: toml++ parsing plus every validation of
// src/app/config.cpp. Contract checked: it never throws or crashes, and every refusal is
// Errc::config with a message starting "config: " (config.hpp).
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "hsm2fa/app/config.hpp"

namespace {

// One scratch directory per fuzzing process, removed at exit.
const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "hsm2fa-fuzz-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    std::atexit([] { std::filesystem::remove_all(scratch()); });
    return std::filesystem::path(pattern);
  }();
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = scratch() / "hsm2fa.toml";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) std::abort();
  }
  auto config = hsm2fa::app::load_config(file);
  if (!config.ok()) {
    if (config.error().code != hsm2fa::Errc::config) std::abort();
    if (config.error().message.rfind("config: ", 0) != 0) std::abort();
  }
  return 0;
}
