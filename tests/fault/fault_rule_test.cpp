// Parsing of control-file rules and the counting semantics of after/every/count/fraction; no token.
#include <vector>

#include <gtest/gtest.h>
#include <p11-kit/pkcs11.h>

#include "cryptoki_functions.hpp"
#include "fault_plan.hpp"
#include "fault_rule.hpp"

namespace hsm2fa::fault {
namespace {

std::size_t index(std::string_view name) { return *function_index(name); }

// Which of `calls` calls of `function` the plan faults (1-based).
std::vector<int> faulted_calls(FaultPlan& plan, std::string_view function, int calls) {
  std::vector<int> faulted;
  for (int i = 1; i <= calls; ++i) {
    if (plan.decide(index(function))) faulted.push_back(i);
  }
  return faulted;
}

FaultPlan plan_of(std::string_view text) {
  ParsedRules parsed = parse_rules(text);
  EXPECT_TRUE(parsed.problems.empty()) << parsed.problems.front();
  return FaultPlan(std::move(parsed.rules), 7);
}

TEST(FaultRuleParse, ReadsEveryOption) {
  const auto parsed = parse_rules(
      "# comment only\n\n  C_SignInit  CKR_DEVICE_REMOVED count=2 after=3 every=4 fraction=0.5\r\n"
      "* stall ms=250 # trailing comment\n");
  ASSERT_TRUE(parsed.problems.empty());
  ASSERT_EQ(parsed.rules.size(), 2u);
  const FaultRule& first = parsed.rules[0];
  EXPECT_EQ(first.function, index("C_SignInit"));
  EXPECT_EQ(first.fault, (Fault{Fault::Kind::error, CKR_DEVICE_REMOVED}));
  EXPECT_EQ(first.count, 2u);
  EXPECT_EQ(first.after, 3u);
  EXPECT_EQ(first.every, 4u);
  EXPECT_DOUBLE_EQ(first.fraction, 0.5);
  EXPECT_EQ(first.line, 3);
  const FaultRule& second = parsed.rules[1];
  EXPECT_FALSE(second.function.has_value());
  EXPECT_EQ(second.fault.kind, Fault::Kind::stall);
  EXPECT_EQ(second.fault.stall, std::chrono::milliseconds(250));
  EXPECT_FALSE(second.count.has_value());
}

TEST(FaultRuleParse, RejectsBadLinesAndKeepsTheRest) {
  const auto parsed = parse_rules(
      "C_Frobnicate CKR_DEVICE_ERROR\n"
      "C_Login CKR_NOT_A_CODE\n"
      "C_Login CKR_OK\n"
      "C_Login\n"
      "C_Login CKR_PIN_LOCKED count=-1\n"
      "C_Login CKR_PIN_LOCKED every=0\n"
      "C_Login CKR_PIN_LOCKED fraction=1.5\n"
      "C_Login CKR_PIN_LOCKED colour=red\n"
      "C_Login CKR_PIN_LOCKED count\n"
      "C_Login CKR_PIN_LOCKED\n");
  EXPECT_EQ(parsed.problems.size(), 9u);
  ASSERT_EQ(parsed.rules.size(), 1u);
  EXPECT_EQ(parsed.rules[0].line, 10);
  EXPECT_EQ(parsed.rules[0].fault.rv, CKR_PIN_LOCKED);
  EXPECT_NE(parsed.problems[0].find("line 1"), std::string::npos);
}

TEST(FaultPlanDecide, AfterEveryCountCombine) {
  auto plan = plan_of("C_Sign CKR_DEVICE_ERROR after=2 every=3 count=2\n");
  EXPECT_EQ(faulted_calls(plan, "C_Sign", 20), (std::vector<int>{5, 8}));
}

TEST(FaultPlanDecide, OtherFunctionsAreNotCounted) {
  auto plan = plan_of("C_Sign CKR_DEVICE_ERROR after=1 count=1\n");
  EXPECT_TRUE(faulted_calls(plan, "C_SignInit", 5).empty());
  EXPECT_EQ(faulted_calls(plan, "C_Sign", 5), (std::vector<int>{2}));
}

TEST(FaultPlanDecide, FractionBoundsAreExact) {
  auto never = plan_of("C_Sign CKR_DEVICE_ERROR fraction=0\n");
  EXPECT_TRUE(faulted_calls(never, "C_Sign", 200).empty());
  auto always = plan_of("C_Sign CKR_DEVICE_ERROR fraction=1\n");
  EXPECT_EQ(faulted_calls(always, "C_Sign", 200).size(), 200u);
}

TEST(FaultPlanDecide, FirstFiringRuleWinsAndLaterRulesKeepTheirCount) {
  auto plan = plan_of(
      "C_Login CKR_PIN_INCORRECT count=1\n"
      "C_Login CKR_PIN_LOCKED count=1\n");
  EXPECT_EQ(plan.decide(index("C_Login"))->rv, CKR_PIN_INCORRECT);
  EXPECT_EQ(plan.decide(index("C_Login"))->rv, CKR_PIN_LOCKED);
  EXPECT_FALSE(plan.decide(index("C_Login")).has_value());
}

TEST(FaultPlanDecide, EmptyPlanNeverFaults) {
  FaultPlan plan;
  EXPECT_TRUE(plan.empty());
  EXPECT_FALSE(plan.decide(index("C_Initialize")).has_value());
}

TEST(CryptokiFunctions, ListMatchesTheStructLayout) {
  // CK_FUNCTION_LIST is a version followed by one pointer per function, in list order.
  EXPECT_EQ(sizeof(CK_FUNCTION_LIST) - offsetof(CK_FUNCTION_LIST, C_Initialize),
            kFunctionCount * sizeof(void*));
  EXPECT_EQ(offsetof(CK_FUNCTION_LIST, C_WaitForSlotEvent),
            offsetof(CK_FUNCTION_LIST, C_Initialize) + (kFunctionCount - 1) * sizeof(void*));
  EXPECT_EQ(index("C_WaitForSlotEvent"), kFunctionCount - 1);
  EXPECT_FALSE(function_index("C_GetInterface").has_value());
}

}  // namespace
}  // namespace hsm2fa::fault
