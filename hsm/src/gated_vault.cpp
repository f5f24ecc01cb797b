// The vault callers get from make_seed_vault: every operation of the real vault, and of the
// oracles it hands out, passes the token's gate (deadline and circuit breaker, token_gate.hpp).
#include <spdlog/spdlog.h>

#include "vaults.hpp"

namespace hsm2fa::hsm {
namespace {

class GatedOracle final : public HmacOracle {
 public:
  GatedOracle(std::shared_ptr<TokenImpl> token, std::shared_ptr<HmacOracle> inner)
      : token_(std::move(token)), inner_(std::move(inner)), alg_(inner_->algorithm()) {}
  // The inner oracle is dropped here, on the caller's thread (a session key is destroyed, its
  // session returned), unless a timed-out HMAC still runs: then its worker drops it last.
  HashAlg algorithm() const noexcept override { return alg_; }
  Result<std::vector<Mac>> mac_counters(std::span<const std::uint64_t> counters) override {
    return token_->gate().run<std::vector<Mac>>(
        "HMAC",
        [inner = inner_, counters = std::vector<std::uint64_t>(counters.begin(), counters.end())] {
          return inner->mac_counters(counters);
        });
  }

 private:
  std::shared_ptr<TokenImpl> token_;
  std::shared_ptr<HmacOracle> inner_;
  HashAlg alg_;
};

// A seed made after its caller was answered unavailable is referenced by no one: destroy it.
auto destroy_late_seed(std::shared_ptr<SeedVault> inner) {
  return [inner = std::move(inner)](Result<SeedRef>&& made) {
    if (!made) return;
    if (auto st = inner->destroy(*made); !st) {
      spdlog::warn("token: a seed made after its deadline could not be destroyed: {}",
                   st.error().message);
      return;
    }
    spdlog::info("token: a seed made after its deadline was destroyed again");
  };
}

class GatedVault final : public SeedVault {
 public:
  GatedVault(std::shared_ptr<TokenImpl> token, std::shared_ptr<SeedVault> inner)
      : token_(std::move(token)), inner_(std::move(inner)) {}

  Custody custody() const noexcept override { return inner_->custody(); }

  Result<SeedRef> generate(HashAlg alg, bool exportable) override {
    return gate().run<SeedRef>(
        "generate seed",
        [inner = inner_, alg, exportable] { return inner->generate(alg, exportable); },
        destroy_late_seed(inner_));
  }

  Result<SeedRef> import(HashAlg alg, std::span<const std::uint8_t> seed,
                         bool exportable) override {
    auto copy = std::make_shared<const SecretBytes>(seed);
    return gate().run<SeedRef>(
        "import seed",
        [inner = inner_, alg, copy, exportable] {
          return inner->import(alg, copy->span(), exportable);
        },
        destroy_late_seed(inner_));
  }

  Result<SeedInfo> inspect(const SeedRef& ref) override {
    return gate().run<SeedInfo>("inspect seed",
                                [inner = inner_, ref] { return inner->inspect(ref); });
  }

  Result<std::unique_ptr<HmacOracle>> oracle(const SeedRef& ref) override {
    // Shared: the GatedOracle's jobs each hold the oracle, and may outlive it.
    auto made = gate().run<std::shared_ptr<HmacOracle>>(
        "open seed", [inner = inner_, ref]() -> Result<std::shared_ptr<HmacOracle>> {
          auto oracle = inner->oracle(ref);
          if (!oracle) return std::move(oracle).error();
          return std::shared_ptr<HmacOracle>(std::move(*oracle));
        });
    if (!made) return std::move(made).error();
    return std::unique_ptr<HmacOracle>(std::make_unique<GatedOracle>(token_, std::move(*made)));
  }

  // One trip to a token worker for the open and the HMACs (oracle() then mac_counters() would
  // make two).
  Result<std::vector<Mac>> mac_counters(const SeedRef& ref, HashAlg alg,
                                        std::span<const std::uint64_t> counters) override {
    return gate().run<std::vector<Mac>>(
        "HMAC", [inner = inner_, ref, alg,
                 counters = std::vector<std::uint64_t>(counters.begin(), counters.end())] {
          return inner->mac_counters(ref, alg, counters);
        });
  }

  Result<SecretBytes> export_seed(const SeedRef& ref) override {
    return gate().run<SecretBytes>("export seed",
                                   [inner = inner_, ref] { return inner->export_seed(ref); });
  }

  // Late, the token may have locked the seed anyway; the store still holds the old ref, and a
  // repeated lock of a locked seed succeeds, so the caller's retry converges.
  Result<SeedRef> lock(const SeedRef& ref) override {
    return gate().run<SeedRef>("lock seed", [inner = inner_, ref] { return inner->lock(ref); });
  }

  Result<PairingSeed> generate_for_pairing(HashAlg alg) override {
    return gate().run<PairingSeed>(
        "generate seed", [inner = inner_, alg] { return inner->generate_for_pairing(alg); },
        [late = destroy_late_seed(inner_)](Result<PairingSeed>&& made) {
          if (made) late(Result<SeedRef>(std::move(made->ref)));
        });
  }

  // Late, the token may have locked the seed anyway; as with lock(), the store keeps the pending
  // ref and the caller's retry converges.
  Result<std::optional<SeedRef>> lock_if(const SeedRef& ref, HashAlg alg,
                                         const SeedCheck& check) override {
    return gate().run<std::optional<SeedRef>>(
        "check and lock seed",
        [inner = inner_, ref, alg, check] { return inner->lock_if(ref, alg, check); });
  }

  Status destroy(const SeedRef& ref) override {
    return gate().run<void>("destroy seed", [inner = inner_, ref] { return inner->destroy(ref); });
  }

  const SeedVault& inner() const noexcept { return *inner_; }
  const std::shared_ptr<SeedVault>& inner_ptr() const noexcept { return inner_; }

 private:
  TokenGate& gate() { return token_->gate(); }
  std::shared_ptr<TokenImpl> token_;
  std::shared_ptr<SeedVault> inner_;
};

}  // namespace

std::shared_ptr<SeedVault> gate_vault(std::shared_ptr<TokenImpl> token,
                                      std::shared_ptr<SeedVault> inner) {
  return std::make_shared<GatedVault>(std::move(token), std::move(inner));
}

const SeedVault& ungated(const SeedVault& vault) noexcept {
  const auto* gated = dynamic_cast<const GatedVault*>(&vault);
  return gated != nullptr ? gated->inner() : vault;
}

std::shared_ptr<SeedVault> ungated(const std::shared_ptr<SeedVault>& vault) {
  const auto* gated = dynamic_cast<const GatedVault*>(vault.get());
  return gated != nullptr ? gated->inner_ptr() : vault;
}

}  // namespace hsm2fa::hsm
