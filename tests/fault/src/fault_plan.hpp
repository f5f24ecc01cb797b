// The rules of one version of the control file with their counters. Not thread-safe: the control
// file serialises access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "fault_rule.hpp"

namespace hsm2fa::fault {

class FaultPlan {
 public:
  FaultPlan() = default;
  FaultPlan(std::vector<FaultRule> rules, std::uint64_t seed);

  // Called once per call of `function`. Every rule naming the function counts the call; the first
  // rule (in file order) that fires decides, and later rules do not spend their count on it.
  std::optional<Fault> decide(std::size_t function);

  bool empty() const { return rules_.empty(); }

 private:
  struct Counted {
    FaultRule rule;
    std::uint64_t seen = 0;
    std::uint64_t fired = 0;
  };
  bool fires(Counted& counted);

  std::vector<Counted> rules_;
  std::mt19937_64 random_;
};

}  // namespace hsm2fa::fault
