// How both backends store a challenge's decoy numbers and state as text. Private to the store.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hsm2fa/result.hpp"
#include "hsm2fa/store.hpp"

namespace hsm2fa::store {

// "12,47,83"; "" for none.
std::string join_numbers(const std::vector<int>& numbers);
// tampered for anything but a comma list of 0..99.
Result<std::vector<int>> split_numbers(std::string_view text);

std::optional<ChallengeState> parse_challenge_state(std::string_view text) noexcept;
std::string_view challenge_state_name(ChallengeState state) noexcept;

}  // namespace hsm2fa::store
