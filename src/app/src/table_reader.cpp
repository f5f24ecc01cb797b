#include "table_reader.hpp"

#include <algorithm>

namespace hsm2fa::app {

const toml::node* TableReader::get(std::string_view key) {
  read_.emplace(key);
  return table_ ? table_->get(key) : nullptr;
}

std::int64_t TableReader::integer(std::string_view name, std::int64_t fallback, std::int64_t min,
                                  std::int64_t max) {
  const toml::node* node = get(name);
  if (!node) return fallback;
  const auto value = node->value_exact<std::int64_t>();
  if (!value) throw ConfigError(key(name), "must be an integer");
  if (*value < min || *value > max) {
    throw ConfigError(key(name),
                      "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return *value;
}

bool TableReader::boolean(std::string_view name, bool fallback) {
  const toml::node* node = get(name);
  if (!node) return fallback;
  const auto value = node->value_exact<bool>();
  if (!value) throw ConfigError(key(name), "must be true or false");
  return *value;
}

std::string TableReader::string(std::string_view name, std::string fallback) {
  const toml::node* node = get(name);
  if (!node) return fallback;
  const auto value = node->value_exact<std::string>();
  if (!value) throw ConfigError(key(name), "must be a string");
  return *value;
}

std::string TableReader::one_of(std::string_view name, std::string fallback,
                                std::initializer_list<std::string_view> allowed) {
  std::string value = string(name, std::move(fallback));
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + ('"' + std::string(a) + '"');
    throw ConfigError(key(name), "must be one of " + list);
  }
  return value;
}

std::filesystem::path TableReader::path(std::string_view name, std::string fallback,
                                        const std::filesystem::path& base) {
  std::filesystem::path p = string(name, std::move(fallback));
  if (p.empty() || p.is_absolute()) return p;
  return (base / p).lexically_normal();
}

std::vector<std::uint32_t> TableReader::id_list(std::string_view name) {
  std::vector<std::uint32_t> ids;
  const toml::node* node = get(name);
  if (!node) return ids;
  const toml::array* array = node->as_array();
  if (!array) throw ConfigError(key(name), "must be an array of integers");
  for (const toml::node& element : *array) {
    const auto id = element.value_exact<std::int64_t>();
    if (!id || *id < 0 || *id > 0xfffffffe) {
      throw ConfigError(key(name), "must be an array of integers between 0 and 4294967294");
    }
    ids.push_back(static_cast<std::uint32_t>(*id));
  }
  return ids;
}

std::vector<std::string> TableReader::string_list(std::string_view name) {
  std::vector<std::string> out;
  const toml::node* node = get(name);
  if (!node) return out;
  const toml::array* array = node->as_array();
  if (!array) throw ConfigError(key(name), "must be an array of strings");
  for (const toml::node& element : *array) {
    const auto s = element.value_exact<std::string>();
    if (!s) throw ConfigError(key(name), "must be an array of strings");
    out.push_back(*s);
  }
  return out;
}

TableReader TableReader::table(std::string_view name) {
  const toml::node* node = get(name);
  if (node && !node->is_table()) throw ConfigError(key(name), "must be a table");
  return TableReader(node ? node->as_table() : nullptr, key(name));
}

std::vector<std::string> TableReader::keys() const {
  std::vector<std::string> out;
  if (table_) {
    for (const auto& [k, v] : *table_) out.emplace_back(k.str());
  }
  return out;
}

void TableReader::reject_unknown() const {
  if (!table_) return;
  for (const auto& [k, v] : *table_) {
    if (!read_.contains(k.str())) throw ConfigError(key(k.str()), "unknown key");
  }
}

}  // namespace hsm2fa::app
