// The custody boundary. The rest of the service sees seeds only as opaque SeedRefs; what a ref
// means (a token object's CKA_ID, or a blob wrapped under a key-encryption key) is the vault's
// business. A vault is thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "hsm2fa/hmac_oracle.hpp"
#include "hsm2fa/result.hpp"
#include "hsm2fa/secret.hpp"

namespace hsm2fa {

enum class Custody { token, wrapped };

// A stored reference to a seed: printable ASCII, self-describing (custody mode, version,
// algorithm, exportability), safe to keep in a database. It is not a secret, but in wrapped mode
// it is the only copy of the seed, so losing it loses the seed.
struct SeedRef {
  std::string encoded;
  friend bool operator==(const SeedRef&, const SeedRef&) = default;
};

// Where a seed stands with respect to export. Pending seeds may be exported for pairing (if the
// policy allowed export at generation); lock() makes that impossible, enforced by the token.
struct SeedInfo {
  HashAlg alg = HashAlg::sha1;
  bool exportable = false;
};

// A new exportable seed and its bytes: what an enrollment shows as the pairing code.
struct PairingSeed {
  SeedRef ref;
  SecretBytes value;
};

class SeedVault {
 public:
  // Decides, from an oracle for the seed, whether lock_if() locks it. It may run on a token
  // worker thread and after lock_if() has returned (a missed deadline), so it owns its captures.
  using SeedCheck = std::function<Result<bool>(HmacOracle&)>;

  virtual ~SeedVault() = default;
  virtual Custody custody() const noexcept = 0;

  // A fresh seed of digest_size(alg) bytes generated inside the token.
  virtual Result<SeedRef> generate(HashAlg alg, bool exportable) = 0;
  // Imports a seed (tests, migration). Seeds shorter than digest_size(alg) are zero-padded,
  // which leaves every HMAC unchanged. Longer than 64 bytes is invalid_argument.
  virtual Result<SeedRef> import(HashAlg alg, std::span<const std::uint8_t> seed,
                                 bool exportable) = 0;
  virtual Result<SeedInfo> inspect(const SeedRef& ref) = 0;
  // An oracle computing HMACs with this seed inside the token.
  virtual Result<std::unique_ptr<HmacOracle>> oracle(const SeedRef& ref) = 0;
  // The HMACs of `counters` under the seed as one operation: what oracle(ref) and then
  // mac_counters(counters) give, with the ref's algorithm checked against `alg` first
  // (Errc::tampered if they differ). A vault that runs each operation as a round trip to the token
  // (deadline, worker thread) overrides it to make one round trip of the two.
  virtual Result<std::vector<Mac>> mac_counters(const SeedRef& ref, HashAlg alg,
                                                std::span<const std::uint64_t> counters) {
    auto made = oracle(ref);
    if (!made) return std::move(made).error();
    if ((*made)->algorithm() != alg) {
      return make_error(Errc::tampered, "seed algorithm differs from the credential's");
    }
    return (*made)->mac_counters(counters);
  }
  // The seed bytes, for the pairing code only. Errc::export_locked once locked or if generated
  // non-exportable. The result is wiped when dropped.
  virtual Result<SecretBytes> export_seed(const SeedRef& ref) = 0;
  // One way: after this the token refuses to let the seed out. Returns the ref to store from
  // now on (it may differ from `ref`; the old one is then invalid).
  virtual Result<SeedRef> lock(const SeedRef& ref) = 0;

  // generate(alg, true) and export_seed() of its ref as one operation (an enrollment). On an
  // error no seed is left behind. Vaults override it to make one token round trip of the two.
  virtual Result<PairingSeed> generate_for_pairing(HashAlg alg) {
    auto ref = generate(alg, /*exportable=*/true);
    if (!ref) return std::move(ref).error();
    auto value = export_seed(*ref);
    if (!value) {
      (void)destroy(*ref);
      return std::move(value).error();
    }
    return PairingSeed{std::move(*ref), std::move(*value)};
  }

  // Confirming an enrollment: runs `check` with an oracle for the seed (the ref's algorithm
  // checked against `alg` first, Errc::tampered if they differ) and, if it answers true, locks
  // the seed as lock(ref) does. Returns the ref to store from now on, or nullopt when `check`
  // answered false (nothing changed). Vaults override it to make one token operation of the two.
  virtual Result<std::optional<SeedRef>> lock_if(const SeedRef& ref, HashAlg alg,
                                                 const SeedCheck& check) {
    auto made = oracle(ref);
    if (!made) return std::move(made).error();
    if ((*made)->algorithm() != alg) {
      return make_error(Errc::tampered, "seed algorithm differs from the credential's");
    }
    auto accepted = check(**made);
    if (!accepted) return std::move(accepted).error();
    if (!*accepted) return std::optional<SeedRef>();
    made->reset();  // its session goes back before lock() leases one
    auto locked = lock(ref);
    if (!locked) return std::move(locked).error();
    return std::optional<SeedRef>(std::move(*locked));
  }
  // Destroys the seed in the token (token mode). In wrapped mode forgetting the blob is the
  // destruction; the call still validates the ref.
  virtual Status destroy(const SeedRef& ref) = 0;
};

}  // namespace hsm2fa
