#include "push_columns.hpp"

namespace hsm2fa::store {

std::string join_numbers(const std::vector<int>& numbers) {
  std::string out;
  for (int n : numbers) {
    if (!out.empty()) out += ',';
    out += std::to_string(n);
  }
  return out;
}

Result<std::vector<int>> split_numbers(std::string_view text) {
  std::vector<int> out;
  if (text.empty()) return out;
  int value = 0, digits = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ',') {
      if (digits == 0) break;
      out.push_back(value);
      value = digits = 0;
      continue;
    }
    if (text[i] < '0' || text[i] > '9' || ++digits > 2) break;
    value = value * 10 + (text[i] - '0');
  }
  if (out.empty() || join_numbers(out) != text) {
    return make_error(Errc::tampered, "store: a challenge's numbers are malformed");
  }
  return out;
}

std::optional<ChallengeState> parse_challenge_state(std::string_view text) noexcept {
  if (text == "pending") return ChallengeState::pending;
  if (text == "approved") return ChallengeState::approved;
  if (text == "denied") return ChallengeState::denied;
  return std::nullopt;
}

std::string_view challenge_state_name(ChallengeState state) noexcept {
  switch (state) {
    case ChallengeState::pending:
      return "pending";
    case ChallengeState::approved:
      return "approved";
    case ChallengeState::denied:
      return "denied";
  }
  return "pending";
}

}  // namespace hsm2fa::store
