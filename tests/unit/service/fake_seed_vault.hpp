// A SeedVault in process memory for service tests: HMACs by SoftwareHmacOracle, and a record of
// what the custody rules did to each seed (exportable, locked, destroyed). Faults on demand.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "hsm2fa/seed_vault.hpp"

namespace hsm2fa::testing {

class FakeSeedVault final : public SeedVault {
 public:
  enum class Op { generate, export_seed, oracle, lock, destroy };

  // Every call of `op` fails with hsm_unavailable until cleared.
  void fail(Op op, bool on = true);

  struct SeedRecord {
    HashAlg alg = HashAlg::sha1;
    std::vector<std::uint8_t> bytes;
    bool exportable = false;
    bool locked = false;
    bool destroyed = false;
  };
  // The record behind a ref, if the vault ever issued it (also after destruction).
  std::optional<SeedRecord> record(const SeedRef& ref) const;
  // Seeds generated or imported and not destroyed.
  std::size_t live_seeds() const;
  int oracle_calls() const { return oracle_calls_.load(); }
  int generate_calls() const { return generate_calls_.load(); }

  Custody custody() const noexcept override { return Custody::wrapped; }
  Result<SeedRef> generate(HashAlg alg, bool exportable) override;
  Result<SeedRef> import(HashAlg alg, std::span<const std::uint8_t> seed, bool exportable) override;
  Result<SeedInfo> inspect(const SeedRef& ref) override;
  Result<std::unique_ptr<HmacOracle>> oracle(const SeedRef& ref) override;
  Result<SecretBytes> export_seed(const SeedRef& ref) override;
  // Issues a new ref for the locked seed and invalidates the old one, as wrapped custody does.
  Result<SeedRef> lock(const SeedRef& ref) override;
  Status destroy(const SeedRef& ref) override;

 private:
  Status check(Op op) const;
  Result<SeedRecord*> find(const SeedRef& ref);  // live, current refs only
  SeedRef add(SeedRecord record);

  mutable std::mutex mutex_;
  std::map<std::string, SeedRecord> seeds_;  // by ref
  std::set<std::string> retired_;            // refs replaced by lock()
  std::set<Op> failing_;
  int next_ = 1;
  std::atomic<int> oracle_calls_{0};
  std::atomic<int> generate_calls_{0};
};

}  // namespace hsm2fa::testing
