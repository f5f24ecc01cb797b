#include "fault_rule.hpp"

#include <charconv>

#include "ckr_names.hpp"
#include "cryptoki_functions.hpp"

namespace hsm2fa::fault {
namespace {

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  constexpr std::string_view kSpace = " \t\r";
  std::size_t at = line.find_first_not_of(kSpace);
  while (at != std::string_view::npos) {
    const std::size_t end = line.find_first_of(kSpace, at);
    words.push_back(line.substr(at, end == std::string_view::npos ? end : end - at));
    at = end == std::string_view::npos ? end : line.find_first_not_of(kSpace, end);
  }
  return words;
}

std::optional<std::uint64_t> parse_count(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_fraction(std::string_view text) {
  double value = 0.0;  // from_chars: independent of the process locale, unlike strtod
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if (!(value >= 0.0 && value <= 1.0)) return std::nullopt;
  return value;
}

// Applies one `key=value` option; returns the problem, or an empty string.
std::string apply_option(std::string_view option, FaultRule& rule) {
  const std::size_t eq = option.find('=');
  if (eq == std::string_view::npos) return "option \"" + std::string(option) + "\" needs =value";
  const std::string_view key = option.substr(0, eq);
  const std::string_view value = option.substr(eq + 1);
  const std::string bad = "bad value for " + std::string(key);
  if (key == "fraction") {
    const auto fraction = parse_fraction(value);
    if (!fraction) return bad + " (want a number in [0, 1])";
    rule.fraction = *fraction;
    return {};
  }
  const auto number = parse_count(value);
  if (!number) return bad + " (want a non-negative integer)";
  if (key == "count") {
    rule.count = *number;
  } else if (key == "after") {
    rule.after = *number;
  } else if (key == "every") {
    if (*number == 0) return bad + " (every=0 never fires)";
    rule.every = *number;
  } else if (key == "ms") {
    rule.fault.stall = std::chrono::milliseconds(*number);
  } else {
    return "unknown option \"" + std::string(key) + "\"";
  }
  return {};
}

// The rule on one non-empty, comment-free line, or the problem with it.
std::string parse_line(std::string_view line, FaultRule& rule) {
  const auto words = split_words(line);
  if (words.size() < 2) return "want \"<function|*> <action> [options]\"";
  if (words[0] != "*") {
    rule.function = function_index(words[0]);
    if (!rule.function) return "unknown function \"" + std::string(words[0]) + "\"";
  }
  if (words[1] == "stall") {
    rule.fault.kind = Fault::Kind::stall;
  } else if (const auto rv = ckr_from_name(words[1])) {
    rule.fault.rv = *rv;
  } else {
    return "unknown action \"" + std::string(words[1]) + "\"";
  }
  for (std::size_t i = 2; i < words.size(); ++i) {
    if (auto problem = apply_option(words[i], rule); !problem.empty()) return problem;
  }
  return {};
}

}  // namespace

ParsedRules parse_rules(std::string_view text) {
  ParsedRules parsed;
  int number = 0;
  while (!text.empty()) {
    const std::size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    ++number;
    line = line.substr(0, line.find('#'));
    if (split_words(line).empty()) continue;
    FaultRule rule;
    rule.line = number;
    if (auto problem = parse_line(line, rule); !problem.empty()) {
      parsed.problems.push_back("line " + std::to_string(number) + ": " + problem);
      continue;
    }
    parsed.rules.push_back(rule);
  }
  return parsed;
}

}  // namespace hsm2fa::fault
