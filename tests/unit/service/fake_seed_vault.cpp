#include "fake_seed_vault.hpp"

#include <openssl/rand.h>

#include "hsm2fa/otp/software_hmac_oracle.hpp"

namespace hsm2fa::testing {

void FakeSeedVault::fail(Op op, bool on) {
  std::lock_guard lock(mutex_);
  if (on) {
    failing_.insert(op);
  } else {
    failing_.erase(op);
  }
}

Status FakeSeedVault::check(Op op) const {
  if (failing_.contains(op)) return make_error(Errc::hsm_unavailable, "fake token gone");
  return {};
}

std::optional<FakeSeedVault::SeedRecord> FakeSeedVault::record(const SeedRef& ref) const {
  std::lock_guard lock(mutex_);
  auto it = seeds_.find(ref.encoded);
  if (it == seeds_.end()) return std::nullopt;
  return it->second;
}

std::size_t FakeSeedVault::live_seeds() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [ref, seed] : seeds_) {
    if (!seed.destroyed && !retired_.contains(ref)) ++n;
  }
  return n;
}

Result<FakeSeedVault::SeedRecord*> FakeSeedVault::find(const SeedRef& ref) {
  auto it = seeds_.find(ref.encoded);
  if (it == seeds_.end() || it->second.destroyed || retired_.contains(ref.encoded)) {
    return make_error(Errc::not_found, "no such seed");
  }
  return &it->second;
}

SeedRef FakeSeedVault::add(SeedRecord record) {
  SeedRef ref{"fake:" + std::to_string(next_++)};
  seeds_.emplace(ref.encoded, std::move(record));
  return ref;
}

Result<SeedRef> FakeSeedVault::generate(HashAlg alg, bool exportable) {
  ++generate_calls_;
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::generate); !st) return std::move(st).error();
  SeedRecord seed{alg, std::vector<std::uint8_t>(digest_size(alg)), exportable};
  if (RAND_bytes(seed.bytes.data(), static_cast<int>(seed.bytes.size())) != 1) {
    return make_error(Errc::internal, "RAND_bytes failed");
  }
  return add(std::move(seed));
}

Result<SeedRef> FakeSeedVault::import(HashAlg alg, std::span<const std::uint8_t> bytes,
                                      bool exportable) {
  std::lock_guard lock(mutex_);
  if (bytes.size() > 64) return make_error(Errc::invalid_argument, "seed too long");
  SeedRecord seed{alg, {bytes.begin(), bytes.end()}, exportable};
  if (seed.bytes.size() < digest_size(alg)) seed.bytes.resize(digest_size(alg), 0);
  return add(std::move(seed));
}

Result<SeedInfo> FakeSeedVault::inspect(const SeedRef& ref) {
  std::lock_guard lock(mutex_);
  auto seed = find(ref);
  if (!seed) return std::move(seed).error();
  return SeedInfo{(*seed)->alg, (*seed)->exportable && !(*seed)->locked};
}

Result<std::unique_ptr<HmacOracle>> FakeSeedVault::oracle(const SeedRef& ref) {
  ++oracle_calls_;
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::oracle); !st) return std::move(st).error();
  auto seed = find(ref);
  if (!seed) return std::move(seed).error();
  auto oracle = otp::SoftwareHmacOracle::create((*seed)->alg, (*seed)->bytes);
  if (!oracle) return std::move(oracle).error();
  return std::unique_ptr<HmacOracle>(std::move(*oracle));
}

Result<SecretBytes> FakeSeedVault::export_seed(const SeedRef& ref) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::export_seed); !st) return std::move(st).error();
  auto seed = find(ref);
  if (!seed) return std::move(seed).error();
  if (!(*seed)->exportable || (*seed)->locked) {
    return make_error(Errc::export_locked, "seed not exportable");
  }
  return SecretBytes((*seed)->bytes);
}

Result<SeedRef> FakeSeedVault::lock(const SeedRef& ref) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::lock); !st) return std::move(st).error();
  auto seed = find(ref);
  if (!seed) return std::move(seed).error();
  SeedRecord locked = **seed;
  locked.locked = true;
  retired_.insert(ref.encoded);
  return add(std::move(locked));
}

Status FakeSeedVault::destroy(const SeedRef& ref) {
  std::lock_guard lock(mutex_);
  if (auto st = check(Op::destroy); !st) return st;
  auto seed = find(ref);
  if (!seed) return std::move(seed).error();
  (*seed)->destroyed = true;
  return {};
}

}  // namespace hsm2fa::testing
