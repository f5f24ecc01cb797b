// Typed, bounded reads from one TOML table that remember which keys were read, so the keys
// nobody read (typos) can be refused. Errors are ConfigError exceptions: configuration is
// start-up, the one place exceptions are used; load_config turns them into a Result.
#pragma once

#include <toml++/toml.h>
#include <cstdint>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hsm2fa::app {

struct ConfigError : std::runtime_error {
  ConfigError(std::string_view key, std::string_view problem)
      : std::runtime_error("config: " + std::string(key) + ": " + std::string(problem)) {}
};

class TableReader {
 public:
  // `table` may be null (section absent: every key takes its default). `path` is the dotted
  // name used in errors ("server", "tenants.acme").
  TableReader(const toml::table* table, std::string path) : table_(table), path_(std::move(path)) {}

  bool present() const { return table_ != nullptr; }
  bool has(std::string_view key) const { return table_ && table_->contains(key); }
  std::string key(std::string_view name) const {
    return path_.empty() ? std::string(name) : path_ + "." + std::string(name);
  }

  std::int64_t integer(std::string_view key, std::int64_t fallback, std::int64_t min,
                       std::int64_t max);
  bool boolean(std::string_view key, bool fallback);
  std::string string(std::string_view key, std::string fallback);
  std::string one_of(std::string_view key, std::string fallback,
                     std::initializer_list<std::string_view> allowed);
  // A relative path resolves against `base`; an empty string stays empty.
  std::filesystem::path path(std::string_view key, std::string fallback,
                             const std::filesystem::path& base);
  std::vector<std::uint32_t> id_list(std::string_view key);
  std::vector<std::string> string_list(std::string_view key);
  TableReader table(std::string_view key);
  // Every key of the table, in order (for sections whose keys are names, like [tenants]).
  std::vector<std::string> keys() const;

  // Throws for every key present but never read.
  void reject_unknown() const;

 private:
  const toml::node* get(std::string_view key);

  const toml::table* table_;
  std::string path_;
  std::set<std::string, std::less<>> read_;
};

}  // namespace hsm2fa::app
