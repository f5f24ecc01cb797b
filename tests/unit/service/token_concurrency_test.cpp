// ServiceConfig::token_concurrency: however many threads call the service, no more than that
// many are inside the vault at once (an oracle counts from its creation to its destruction).
#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "service_fixture.hpp"

namespace hsm2fa::testing {
namespace {

// Counts the callers inside the wrapped vault and keeps the highest count seen.
class InFlight {
 public:
  void enter() {
    const int now = ++inside_;
    int seen = max_.load();
    while (now > seen && !max_.compare_exchange_weak(seen, now)) {
    }
    for (int i = 0; i < 50; ++i) std::this_thread::yield();  // widen the window for a racer
  }
  void leave() { --inside_; }
  int max() const { return max_.load(); }

 private:
  std::atomic<int> inside_{0};
  std::atomic<int> max_{0};
};

template <class F>
auto counted_call(InFlight& in_flight, F&& call) {
  in_flight.enter();
  auto result = call();
  in_flight.leave();
  return result;
}

class CountedOracle final : public HmacOracle {
 public:
  CountedOracle(std::unique_ptr<HmacOracle> inner, InFlight& in_flight)
      : inner_(std::move(inner)), in_flight_(in_flight) {}
  ~CountedOracle() override { in_flight_.leave(); }
  HashAlg algorithm() const noexcept override { return inner_->algorithm(); }
  Result<std::vector<Mac>> mac_counters(std::span<const std::uint64_t> counters) override {
    return inner_->mac_counters(counters);
  }

 private:
  std::unique_ptr<HmacOracle> inner_;
  InFlight& in_flight_;
};

class CountedVault final : public SeedVault {
 public:
  CountedVault(std::shared_ptr<SeedVault> inner, InFlight& in_flight)
      : inner_(std::move(inner)), in_flight_(in_flight) {}
  Custody custody() const noexcept override { return inner_->custody(); }
  Result<SeedRef> generate(HashAlg alg, bool exportable) override {
    return counted_call(in_flight_, [&] { return inner_->generate(alg, exportable); });
  }
  Result<SeedRef> import(HashAlg alg, std::span<const std::uint8_t> seed,
                         bool exportable) override {
    return counted_call(in_flight_, [&] { return inner_->import(alg, seed, exportable); });
  }
  Result<SeedInfo> inspect(const SeedRef& ref) override {
    return counted_call(in_flight_, [&] { return inner_->inspect(ref); });
  }
  Result<std::unique_ptr<HmacOracle>> oracle(const SeedRef& ref) override {
    in_flight_.enter();
    auto inner = inner_->oracle(ref);
    if (!inner) {
      in_flight_.leave();
      return std::move(inner).error();
    }
    return std::unique_ptr<HmacOracle>(
        std::make_unique<CountedOracle>(std::move(inner).value(), in_flight_));
  }
  Result<SecretBytes> export_seed(const SeedRef& ref) override {
    return counted_call(in_flight_, [&] { return inner_->export_seed(ref); });
  }
  Result<SeedRef> lock(const SeedRef& ref) override {
    return counted_call(in_flight_, [&] { return inner_->lock(ref); });
  }
  Status destroy(const SeedRef& ref) override {
    return counted_call(in_flight_, [&] { return inner_->destroy(ref); });
  }

 private:
  std::shared_ptr<SeedVault> inner_;
  InFlight& in_flight_;
};

class TokenConcurrencyTest : public ServiceTest {
 protected:
  // Enrolls and activates `users` through a service gated at `permits`, then has one thread per
  // user verify its codes; returns the most callers seen inside the vault at once.
  int max_inside(int permits, int users) {
    ServiceConfig config = base_config();
    config.token_concurrency = permits;
    auto made = make_two_factor_service(std::move(config),
                                        std::make_shared<CountedVault>(vault, in_flight_), store,
                                        clock, [] { return Status{}; });
    EXPECT_TRUE(made.ok());
    if (!made) return -1;
    service = std::move(*made);
    std::vector<std::string> secrets;
    for (int u = 0; u < users; ++u) secrets.push_back(activate("user" + std::to_string(u)));
    advance_seconds(30);  // past every confirmation's step, which offset -1 would replay

    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int u = 0; u < users; ++u) {
      threads.emplace_back([&, u] {
        const std::string user = "user" + std::to_string(u);
        for (int offset = -1; offset <= 1; ++offset) {
          auto r = service->verify(caller, "default", user, code(secrets[u], offset));
          if (!r.ok() || !r->valid) ++failures;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(failures.load(), 0);
    return in_flight_.max();
  }

  InFlight in_flight_;
};

TEST_F(TokenConcurrencyTest, OnePermitKeepsEveryOtherCallerOutOfTheVault) {
  EXPECT_EQ(max_inside(1, 8), 1);
}

TEST_F(TokenConcurrencyTest, TwoPermitsLetNoMoreThanTwoIn) {
  const int seen = max_inside(2, 8);
  EXPECT_GE(seen, 1);
  EXPECT_LE(seen, 2);
}

TEST_F(TokenConcurrencyTest, ConcurrencyOutOfBoundsIsAConfigError) {
  ServiceConfig config = base_config();
  config.token_concurrency = 257;
  auto made =
      make_two_factor_service(std::move(config), vault, store, clock, [] { return Status{}; });
  ASSERT_FALSE(made.ok());
  EXPECT_EQ(made.error().code, Errc::config);
}

}  // namespace
}  // namespace hsm2fa::testing
