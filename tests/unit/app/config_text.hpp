// Loads a config from TOML text through a file in a fresh temporary folder, as the daemon would
// read it (relative paths resolve against that folder, which is gone again afterwards).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "hsm2fa/app/config.hpp"

namespace hsm2fa::app::testing {

inline Result<AppConfig> load_config_text(const std::string& text) {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("hsm2fa-config-" + std::to_string(::getpid()) + "-" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::create_directories(dir);
  std::ofstream(dir / "hsm2fa.toml") << text;
  auto config = load_config(dir / "hsm2fa.toml");
  fs::remove_all(dir);
  return config;
}

}  // namespace hsm2fa::app::testing
