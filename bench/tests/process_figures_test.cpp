#include "process_figures.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace hsm2fa::bench {
namespace {

TEST(ProcessFigures, ResidentBytesOfThisProcessArePlausible) {
  auto rss = resident_bytes(::getpid());
  ASSERT_TRUE(rss.has_value());
  EXPECT_GT(*rss, 1024u * 1024u);  // a gtest binary holds more than a mebibyte
}

TEST(ProcessFigures, SqliteBytesAddTheWalAndOnlyForSqliteUrls) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("hsm2fa-bench-figures-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "db") << std::string(100, 'x');
  std::ofstream(dir / "db-wal") << std::string(23, 'y');
  auto bytes = sqlite_bytes("sqlite:" + (dir / "db").string());
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(*bytes, 123u);
  EXPECT_FALSE(sqlite_bytes("postgresql://localhost/hsm2fa").has_value());
}

}  // namespace
}  // namespace hsm2fa::bench
