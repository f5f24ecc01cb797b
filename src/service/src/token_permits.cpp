#include "token_permits.hpp"

namespace hsm2fa::service {
namespace {

class GatedOracle final : public HmacOracle {
 public:
  GatedOracle(TokenPermits::Permit permit, std::unique_ptr<HmacOracle> inner)
      : permit_(std::move(permit)), inner_(std::move(inner)) {}
  HashAlg algorithm() const noexcept override { return inner_->algorithm(); }
  Result<std::vector<Mac>> mac_counters(std::span<const std::uint64_t> counters) override {
    return inner_->mac_counters(counters);
  }

 private:
  // Declared first, destroyed last: the inner oracle's clean-up (destroying a session key,
  // returning the session) is token work too.
  TokenPermits::Permit permit_;
  std::unique_ptr<HmacOracle> inner_;
};

class GatedVault final : public SeedVault {
 public:
  GatedVault(std::shared_ptr<SeedVault> inner, std::shared_ptr<TokenPermits> gate)
      : inner_(std::move(inner)), gate_(std::move(gate)) {}

  Custody custody() const noexcept override { return inner_->custody(); }
  Result<SeedRef> generate(HashAlg alg, bool exportable) override {
    TokenPermits::Permit permit(*gate_);
    return inner_->generate(alg, exportable);
  }
  Result<SeedRef> import(HashAlg alg, std::span<const std::uint8_t> seed,
                         bool exportable) override {
    TokenPermits::Permit permit(*gate_);
    return inner_->import(alg, seed, exportable);
  }
  Result<SeedInfo> inspect(const SeedRef& ref) override {
    TokenPermits::Permit permit(*gate_);
    return inner_->inspect(ref);
  }
  Result<std::unique_ptr<HmacOracle>> oracle(const SeedRef& ref) override {
    TokenPermits::Permit permit(*gate_);
    auto inner = inner_->oracle(ref);
    if (!inner) return std::move(inner).error();
    return std::unique_ptr<HmacOracle>(
        std::make_unique<GatedOracle>(std::move(permit), std::move(inner).value()));
  }
  Result<std::vector<Mac>> mac_counters(const SeedRef& ref, HashAlg alg,
                                        std::span<const std::uint64_t> counters) override {
    TokenPermits::Permit permit(*gate_);
    return inner_->mac_counters(ref, alg, counters);
  }
  Result<SecretBytes> export_seed(const SeedRef& ref) override {
    TokenPermits::Permit permit(*gate_);
    return inner_->export_seed(ref);
  }
  Result<SeedRef> lock(const SeedRef& ref) override {
    TokenPermits::Permit permit(*gate_);
    return inner_->lock(ref);
  }
  Result<PairingSeed> generate_for_pairing(HashAlg alg) override {
    TokenPermits::Permit permit(*gate_);
    return inner_->generate_for_pairing(alg);
  }
  Result<std::optional<SeedRef>> lock_if(const SeedRef& ref, HashAlg alg,
                                         const SeedCheck& check) override {
    TokenPermits::Permit permit(*gate_);
    return inner_->lock_if(ref, alg, check);
  }
  Status destroy(const SeedRef& ref) override {
    TokenPermits::Permit permit(*gate_);
    return inner_->destroy(ref);
  }

 private:
  std::shared_ptr<SeedVault> inner_;
  std::shared_ptr<TokenPermits> gate_;
};

class GatedRandom final : public RandomSource {
 public:
  GatedRandom(std::shared_ptr<RandomSource> inner, std::shared_ptr<TokenPermits> gate)
      : inner_(std::move(inner)), gate_(std::move(gate)) {}
  Status fill(std::span<std::uint8_t> out) override {
    TokenPermits::Permit permit(*gate_);
    return inner_->fill(out);
  }

 private:
  std::shared_ptr<RandomSource> inner_;
  std::shared_ptr<TokenPermits> gate_;
};

}  // namespace

void TokenPermits::enter() {
  std::unique_lock lock(mu_);
  freed_.wait(lock, [this] { return free_ > 0; });
  --free_;
}

void TokenPermits::leave() noexcept {
  {
    std::lock_guard lock(mu_);
    ++free_;
  }
  freed_.notify_one();
}

std::shared_ptr<SeedVault> gate_vault(std::shared_ptr<SeedVault> vault,
                                      std::shared_ptr<TokenPermits> gate) {
  return std::make_shared<GatedVault>(std::move(vault), std::move(gate));
}

TokenMac gate_token_mac(TokenMac mac, std::shared_ptr<TokenPermits> gate) {
  if (!mac) return mac;
  return [mac = std::move(mac), gate = std::move(gate)](std::string_view purpose,
                                                        std::span<const std::uint8_t> data) {
    TokenPermits::Permit permit(*gate);
    return mac(purpose, data);
  };
}

std::shared_ptr<RandomSource> gate_random(std::shared_ptr<RandomSource> random,
                                          std::shared_ptr<TokenPermits> gate) {
  if (!random) return random;
  return std::make_shared<GatedRandom>(std::move(random), std::move(gate));
}

std::function<Status()> gate_probe(std::function<Status()> probe,
                                   std::shared_ptr<TokenPermits> gate) {
  if (!probe) return probe;
  return [probe = std::move(probe), gate = std::move(gate)] {
    TokenPermits::Permit permit(*gate);
    return probe();
  };
}

}  // namespace hsm2fa::service
