// The token layer in front of the fault-injecting module (tests/fault): deadlines, the circuit
// breaker and the retries, observed in the module's own call counts. Its own process, because
// the module's control and stats files are fixed when it is loaded.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "support/raw_token.hpp"
#include "support/softhsm_token.hpp"

namespace hsm2fa::hsm {
namespace {

using std::chrono::milliseconds;
using testing::ThrowAwayToken;

struct CallCount {
  std::uint64_t calls = 0, faults = 0;
};

// The control and stats files of the module, next to the throw-away token.
class Shim {
 public:
  static const Shim& get() {
    static const Shim shim;
    return shim;
  }
  TokenConfig config(Custody custody, const std::string& prefix) const {
    TokenConfig c = ThrowAwayToken::get().config(custody, prefix);
    c.module_path = HSM2FA_FAULT_SHIM_PATH;
    return c;
  }
  void set_rules(const std::string& rules) const {
    const auto tmp = control_.string() + ".tmp";
    std::ofstream(tmp) << rules << "\n";
    std::filesystem::rename(tmp, control_);
  }
  void clear_rules() const {
    std::error_code ec;
    std::filesystem::remove(control_, ec);
  }
  std::map<std::string, CallCount> stats() const {
    std::map<std::string, CallCount> out;
    std::ifstream in(stats_);
    std::string function;
    CallCount count;
    while (in >> function >> count.calls >> count.faults) out[function] = count;
    return out;
  }
  std::uint64_t total_calls() const {
    std::uint64_t total = 0;
    for (const auto& [function, count] : stats()) total += count.calls;
    return total;
  }

 private:
  Shim()
      : control_(ThrowAwayToken::get().dir / "faults"),
        stats_(ThrowAwayToken::get().dir / "fault-stats") {
    setenv("HSM2FA_FAULT_CONTROL", control_.c_str(), 1);
    setenv("HSM2FA_FAULT_STATS", stats_.c_str(), 1);
    setenv("HSM2FA_FAULT_STATS_INTERVAL_MS", "0", 1);
  }
  std::filesystem::path control_, stats_;
};

// Rules off again however a test ends, so the token can be closed cleanly.
struct RulesOff {
  ~RulesOff() { Shim::get().clear_rules(); }
};

bool shim_built() { return std::filesystem::exists(HSM2FA_FAULT_SHIM_PATH); }

#define REQUIRE_SHIM()                                                                    \
  do {                                                                                    \
    HSM2FA_REQUIRE_SOFTHSM();                                                             \
    if (!shim_built()) GTEST_SKIP() << "fault module not built: " HSM2FA_FAULT_SHIM_PATH; \
  } while (0)

// Waits (bounded) for something a worker finishes on its own; the test asserts the outcome.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 1000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return pred();
}

const std::vector<std::uint8_t> kRfcSeed = testing::bytes_of("12345678901234567890");

struct Opened {
  testing::OpenVault handles;
  SeedRef ref;
  std::unique_ptr<HmacOracle> oracle;
};

// A token-mode vault through the module, holding the RFC 4226 seed and an oracle for it.
Opened open_with_seed(const TokenConfig& config) {
  Opened out;
  out.handles = testing::open_provisioned(config);
  if (!out.handles.vault) return out;
  auto ref = out.handles.vault->import(HashAlg::sha1, kRfcSeed, false);
  EXPECT_TRUE(ref.ok()) << ref.error().message;
  if (!ref) return out;
  out.ref = *ref;
  auto oracle = out.handles.vault->oracle(out.ref);
  EXPECT_TRUE(oracle.ok()) << oracle.error().message;
  if (oracle) out.oracle = std::move(*oracle);
  return out;
}

template <class T>
Errc error_code(const Result<T>& r) {
  return r.ok() ? Errc{} : r.error().code;
}

Result<std::uint32_t> code_at(HmacOracle& oracle, std::uint64_t counter) {
  const std::uint64_t counters[] = {counter};
  auto macs = oracle.mac_counters(counters);
  if (!macs) return std::move(macs).error();
  return testing::truncate(macs->front(), 6);
}

TEST(TokenFaults, StalledHmacIsCutOffAtTheDeadlineAndKeepsItsSession) {
  REQUIRE_SHIM();
  auto config = Shim::get().config(Custody::token, "stall");
  config.call_timeout = milliseconds(300);
  auto opened = open_with_seed(config);
  RulesOff off;  // destroyed first: the token closes with the faults off
  ASSERT_TRUE(opened.oracle);
  const auto sign_faults = Shim::get().stats()["C_Sign"].faults;

  Shim::get().set_rules("C_Sign stall ms=4000 count=1");
  auto code = code_at(*opened.oracle, 1);
  ASSERT_FALSE(code.ok()) << "answered although C_Sign was still stalled";
  EXPECT_EQ(code.error().code, Errc::hsm_unavailable);
  auto stats = opened.handles.token->stats();
  EXPECT_EQ(stats.call_timeouts, 1u);
  // The stalled call still holds its session: it is not lent to anyone until the module returns.
  EXPECT_EQ(stats.sessions_in_use, 1u);
  EXPECT_TRUE(eventually([&] { return opened.handles.token->stats().sessions_in_use == 0; }));
  EXPECT_EQ(Shim::get().stats()["C_Sign"].faults, sign_faults + 1);

  auto after = code_at(*opened.oracle, 1);
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(*after, 287082u);  // RFC 4226 appendix D, counter 1
}

TEST(TokenFaults, OpenBreakerAnswersWithoutCallingTheModule) {
  REQUIRE_SHIM();
  auto config = Shim::get().config(Custody::token, "breaker");
  config.breaker_failures = 3;
  config.breaker_backoff_min = config.breaker_backoff_max = std::chrono::hours(1);
  auto opened = open_with_seed(config);
  RulesOff off;  // destroyed first: the token closes with the faults off
  ASSERT_TRUE(opened.oracle);
  Token& token = *opened.handles.token;

  Shim::get().set_rules("* CKR_DEVICE_REMOVED");
  for (int i = 0; i < 3; ++i) {
    auto code = code_at(*opened.oracle, 1);
    ASSERT_FALSE(code.ok());
    EXPECT_EQ(code.error().code, Errc::hsm_unavailable);
  }
  EXPECT_TRUE(token.stats().breaker_open);
  EXPECT_FALSE(token.stats().up);
  const auto calls_when_opened = Shim::get().total_calls();
  ASSERT_GT(calls_when_opened, 0u);

  std::uint8_t random[16];
  static constexpr std::uint8_t kData[] = {1};
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(error_code(code_at(*opened.oracle, 1)), Errc::hsm_unavailable);
  }
  EXPECT_EQ(error_code(token.check()), Errc::hsm_unavailable);
  EXPECT_EQ(error_code(service_mac(token, "health-probe", kData)), Errc::hsm_unavailable);
  EXPECT_EQ(error_code(random_bytes(token, random)), Errc::hsm_unavailable);
  EXPECT_EQ(error_code(opened.handles.vault->generate(HashAlg::sha1, true)), Errc::hsm_unavailable);
  EXPECT_EQ(Shim::get().total_calls(), calls_when_opened) << "the module was called";
  EXPECT_EQ(token.stats().breaker_refusals, 24u);
}

TEST(TokenFaults, BreakerClosesOnceTheTokenIsBack) {
  REQUIRE_SHIM();
  auto config = Shim::get().config(Custody::wrapped, "recover");
  config.breaker_failures = 2;
  config.breaker_backoff_min = milliseconds(20);
  config.breaker_backoff_max = milliseconds(100);
  auto opened = testing::open_provisioned(config);
  RulesOff off;  // destroyed first: the token closes with the faults off
  ASSERT_TRUE(opened.vault);
  auto ref = opened.vault->import(HashAlg::sha1, kRfcSeed, false);
  ASSERT_TRUE(ref.ok()) << ref.error().message;

  Shim::get().set_rules("* CKR_TOKEN_NOT_PRESENT");
  for (int i = 0; i < 4; ++i) EXPECT_FALSE(opened.vault->oracle(*ref).ok());
  EXPECT_TRUE(opened.token->stats().breaker_open);
  Shim::get().clear_rules();

  // The first probe after the back-off finds the token again (logging in again if needed).
  std::optional<std::uint32_t> code;
  EXPECT_TRUE(eventually([&] {
    auto oracle = opened.vault->oracle(*ref);
    if (!oracle) return false;
    auto c = code_at(**oracle, 1);
    if (c) code = *c;
    return c.ok();
  }));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 287082u);
  const auto stats = opened.token->stats();
  EXPECT_FALSE(stats.breaker_open);
  EXPECT_TRUE(stats.up);
  EXPECT_TRUE(opened.token->check().ok());
}

TEST(TokenFaults, LostSessionOnSignInitIsRetriedOnAFreshSession) {
  REQUIRE_SHIM();
  auto opened = open_with_seed(Shim::get().config(Custody::token, "retry"));
  RulesOff off;  // destroyed first: the token closes with the faults off
  ASSERT_TRUE(opened.oracle);
  const auto before = Shim::get().stats()["C_SignInit"];

  Shim::get().set_rules("C_SignInit CKR_SESSION_HANDLE_INVALID count=1");
  auto code = code_at(*opened.oracle, 1);
  ASSERT_TRUE(code.ok()) << code.error().message;
  EXPECT_EQ(*code, 287082u);
  const auto after = Shim::get().stats()["C_SignInit"];
  EXPECT_EQ(after.faults, before.faults + 1);
  EXPECT_EQ(after.calls, before.calls + 2);

  Shim::get().set_rules("C_SignInit CKR_SESSION_CLOSED count=1");
  static constexpr std::uint8_t kData[] = {1, 2, 3};
  auto mac = service_mac(*opened.handles.token, "retry-test", kData);
  EXPECT_TRUE(mac.ok()) << mac.error().message;
  EXPECT_EQ(Shim::get().stats()["C_SignInit"].faults, before.faults + 2);
}

// A failed C_GenerateKey may have made its key: it is answered, never run again behind the
// caller's back.
TEST(TokenFaults, GenerateKeyIsNotRetried) {
  REQUIRE_SHIM();
  auto opened = testing::open_provisioned(Shim::get().config(Custody::token, "noretry"));
  RulesOff off;  // destroyed first: the token closes with the faults off
  ASSERT_TRUE(opened.vault);
  const auto before = Shim::get().stats()["C_GenerateKey"];
  Shim::get().set_rules("C_GenerateKey CKR_SESSION_HANDLE_INVALID count=1");
  auto ref = opened.vault->generate(HashAlg::sha1, true);
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.error().code, Errc::hsm_unavailable);
  EXPECT_EQ(Shim::get().stats()["C_GenerateKey"].calls, before.calls + 1);
}

std::size_t seeds_in_token(Token& token, const std::string& prefix) {
  auto lease = dynamic_cast<TokenImpl&>(token).lease();
  if (!lease) return 999;
  Template match;
  match.number(CKA_CLASS, CKO_SECRET_KEY);
  auto found = find_objects(lease->session(), match);
  if (!found) return 999;
  std::size_t seeds = 0;
  for (CK_OBJECT_HANDLE object : *found) {
    auto label = read_bytes(lease->session(), object, CKA_LABEL);
    if (label && std::string(label->begin(), label->end()).rfind(prefix + "-seed-", 0) == 0) {
      ++seeds;
    }
  }
  return seeds;
}

// Enrollment in token custody when the key is made after the client was answered 503: no
// record refers to that key, so the late job destroys it again.
TEST(TokenFaults, SeedMadeAfterItsDeadlineIsDestroyedAgain) {
  REQUIRE_SHIM();
  auto config = Shim::get().config(Custody::token, "late");
  config.call_timeout = milliseconds(300);
  auto opened = testing::open_provisioned(config);
  RulesOff off;  // destroyed first: the token closes with the faults off
  ASSERT_TRUE(opened.vault);
  ASSERT_EQ(seeds_in_token(*opened.token, "late"), 0u);
  const auto destroys = Shim::get().stats()["C_DestroyObject"].calls;

  Shim::get().set_rules("C_GenerateKey stall ms=2000 count=1");
  auto ref = opened.vault->generate(HashAlg::sha1, true);
  ASSERT_FALSE(ref.ok());
  EXPECT_EQ(ref.error().code, Errc::hsm_unavailable);
  EXPECT_TRUE(
      eventually([&] { return Shim::get().stats()["C_DestroyObject"].calls == destroys + 1; }));
  EXPECT_TRUE(eventually([&] { return opened.token->stats().sessions_in_use == 0; }));
  EXPECT_EQ(seeds_in_token(*opened.token, "late"), 0u);
}

}  // namespace
}  // namespace hsm2fa::hsm
