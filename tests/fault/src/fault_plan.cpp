#include "fault_plan.hpp"

namespace hsm2fa::fault {

FaultPlan::FaultPlan(std::vector<FaultRule> rules, std::uint64_t seed) : random_(seed) {
  rules_.reserve(rules.size());
  for (auto& rule : rules) rules_.push_back(Counted{std::move(rule)});
}

std::optional<Fault> FaultPlan::decide(std::size_t function) {
  std::optional<Fault> decided;
  for (auto& counted : rules_) {
    if (counted.rule.function && *counted.rule.function != function) continue;
    ++counted.seen;
    if (!decided && fires(counted)) decided = counted.rule.fault;
  }
  return decided;
}

bool FaultPlan::fires(Counted& counted) {
  const FaultRule& rule = counted.rule;
  if (counted.seen <= rule.after) return false;
  if ((counted.seen - rule.after) % rule.every != 0) return false;
  if (rule.count && counted.fired >= *rule.count) return false;
  // Draw only for a real fraction so that deterministic rules do not consume the sequence.
  if (rule.fraction < 1.0 &&
      std::uniform_real_distribution<double>(0.0, 1.0)(random_) >= rule.fraction) {
    return false;
  }
  ++counted.fired;
  return true;
}

}  // namespace hsm2fa::fault
