// One line of the control file: which calls a fault applies to and what it does. Parsing is pure so
// it can be tested without a token.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hsm2fa::fault {

// What the shim does instead of (error) or before (stall) calling the real module.
struct Fault {
  enum class Kind { error, stall };
  Kind kind = Kind::error;
  unsigned long rv = 0;                  // the CK_RV returned, for Kind::error
  std::chrono::milliseconds stall{500};  // the delay before calling through, for Kind::stall
  friend bool operator==(const Fault&, const Fault&) = default;
};

// `<function|*> <action> [count=N] [after=N] [every=N] [fraction=F] [ms=N]`. A call matching
// `function` is the rule's k-th match; the rule fires when k > after, (k - after) % every == 0,
// it has fired fewer than `count` times, and a uniform draw in [0, 1) is below `fraction`.
struct FaultRule {
  std::optional<std::size_t> function;  // index in kFunctionNames; nullopt matches every function
  Fault fault;
  std::uint64_t after = 0;
  std::uint64_t every = 1;
  std::optional<std::uint64_t> count;  // nullopt: no limit
  double fraction = 1.0;
  int line = 0;  // 1-based line in the control file, for messages
};

struct ParsedRules {
  std::vector<FaultRule> rules;
  // One message per rejected line ("line 3: unknown action \"CKR_NOPE\""); rejected lines are
  // dropped, the others still apply.
  std::vector<std::string> problems;
};

ParsedRules parse_rules(std::string_view text);

}  // namespace hsm2fa::fault
