// The token layer: a PKCS#11 module, one token in it, one user login, a bounded session pool, and
// the seed vaults of DESIGN.md "Custody" built on them. The only module that sees pkcs11.h; this
// header deliberately does not include it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hsm2fa/hmac_oracle.hpp"
#include "hsm2fa/result.hpp"
#include "hsm2fa/secret.hpp"
#include "hsm2fa/seed_vault.hpp"

namespace hsm2fa::hsm {

// Online KEK rotation (wrapped mode, hsm/README-rotation.md). off: active seeds unwrap
// non-extractable and can never be re-wrapped. trusted: they unwrap sensitive, extractable and
// CKA_WRAP_WITH_TRUSTED, so only a KEK the security officer made CKA_TRUSTED can wrap them.
enum class KekRotation { off, trusted };

struct TokenConfig {
  std::string module_path;         // any PKCS#11 module (.so)
  std::string token_uri;           // RFC 7512: token, serial, manufacturer, model, slot-id
  std::filesystem::path pin_file;  // user PIN on the first line (trailing newline ignored)
  Custody custody = Custody::wrapped;
  std::string key_prefix = "hsm2fa";                    // CKA_LABEL prefix of the service's keys
  std::string wrap_mechanism = "CKM_AES_KEY_WRAP_PAD";  // or CKM_AES_KEY_WRAP
  std::size_t sessions = 4;                             // session pool bound
  // Deadline of one operation (an HMAC, a key made, the login probe...), waited for by the
  // caller: past it the caller gets hsm_unavailable and the stalled call is left to finish on
  // its own. Zero: no deadline.
  std::chrono::milliseconds call_timeout{2000};
  // Circuit breaker: this many token-gone failures in a row (device, token or session errors,
  // timeouts) and operations are refused at once; one probe after the back-off, which doubles
  // from min to max while the probes fail.
  unsigned breaker_failures = 5;
  std::chrono::milliseconds breaker_backoff_min{500};
  std::chrono::milliseconds breaker_backoff_max{10000};
  std::size_t key_cache_size = 10000;  // wrapped mode: unwrapped active keys kept; 0 disables
  // Module recycling (wrapped custody): after this many objects destroyed in the token since the
  // last C_Initialize, empty the key cache, wait for a moment with no token operation in flight
  // and re-initialise the module (C_Finalize, C_Initialize, log in again). SoftHSM2 keeps a
  // record of every session object it ever made until C_Finalize, destroyed or not, so without
  // this its memory grows with every enrollment and every key-cache eviction. Unset: 10,000 on
  // SoftHSM2 in wrapped custody, off otherwise. 0: off.
  std::optional<std::size_t> recycle_after_objects;
  KekRotation kek_rotation = KekRotation::off;
  // Development/tests only: accept "trusted" on SoftHSM2, whose security officer can make only
  // public trusted KEKs, kept in clear in the token directory (weaker custody, announced).
  bool allow_public_kek = false;
};

struct TokenStats {
  std::uint64_t calls = 0;
  std::map<std::string, std::uint64_t> errors_by_rv;  // "CKR_DEVICE_REMOVED" -> count
  std::size_t sessions_open = 0, sessions_in_use = 0;
  bool up = false;                     // logged in and the circuit breaker closed
  bool breaker_open = false;           // open or half-open: operations are refused without a call
  std::uint64_t call_timeouts = 0;     // operations cut off at TokenConfig::call_timeout
  std::uint64_t breaker_refusals = 0;  // operations refused by the open breaker
  std::uint64_t objects_created = 0;    // objects made in the token by this process
  std::uint64_t objects_destroyed = 0;  // and destroyed
  std::size_t recycle_after_objects = 0;  // resolved TokenConfig::recycle_after_objects; 0: off
  std::uint64_t module_recycles = 0;      // module re-initialisations done
  std::uint64_t recycle_deferrals = 0;    // attempts put off: operations stayed in flight
  std::uint64_t recycle_failures = 0;     // re-initialisations that failed (token unavailable)
  double last_recycle_seconds = 0;        // how long the last one held operations back
};

// An opened module + selected token + one user login + a session pool. Thread-safe. The login
// and one keeper session live as long as the Token: SoftHSM2 invalidates every private handle on
// logout or when the slot's last session closes. A call failing with a session, device, lost-login
// or stale-handle CK_RV drops its session and makes the next operation run check() first, so a
// lost login is restored without a restart (or the operation fails closed). Destroy every vault and
// oracle first; the module is finalized when the last Token (or init_token) using it goes.
//
// Operations of the vaults, their oracles, check(), service_mac, random_bytes and audit_sign run
// under TokenConfig::call_timeout and the circuit breaker (both answer hsm_unavailable). An
// operation cut off by its deadline keeps its session until the module returns; what it produced
// late is discarded, and a seed it made late (generate/import) is destroyed again. An operation
// still running then keeps the Token alive until it returns.
class Token {
 public:
  virtual ~Token() = default;
  // Login probe: one C_GetSessionInfo on the keeper session, succeeding when that session is in a
  // user-functions state. Otherwise (no keeper, the call fails, or the login is gone) it logs in
  // again once on a fresh keeper session, unless CK_TOKEN_INFO reports the user PIN locked or on
  // its final try (pin_locked). It touches no key object, so success does not prove the service's
  // keys exist or are usable (a token whose objects were deleted still passes); a caller that
  // needs that proof must also run an operation under a key, as the daemon's health probe does
  // with a service MAC. Errors: hsm_unavailable, pin_incorrect, pin_locked.
  virtual Status check() = 0;
  virtual TokenStats stats() const = 0;
};

// Errors: config (module not loadable, URI invalid, no or several tokens match, PIN file
// unreadable), pin_incorrect (exactly one C_Login was made), pin_locked, hsm_unavailable.
Result<std::shared_ptr<Token>> open_token(const TokenConfig& config);

// Key labels, derived from TokenConfig::key_prefix.
std::string kek_label(std::string_view prefix);                   // "<prefix>-kek-1": the first KEK
std::string kek_label(std::string_view prefix, unsigned number);  // "<prefix>-kek-<number>"
std::string pending_kek_label(std::string_view prefix);           // "<prefix>-pending-kek"
std::string mac_key_label(std::string_view prefix);               // "<prefix>-mac": service MAC key

struct ProvisionReport {
  std::vector<std::string> created, existing;  // key labels
};
// Creates every service key that is missing (idempotent), each with every security attribute set
// explicitly. Uses the user login only (no SO PIN). Existing keys are not checked here:
// make_seed_vault checks them.
Result<ProvisionReport> provision(Token& token, const TokenConfig& config);

// Finds the provisioned keys (once; handles cached), reads back their security attributes and
// refuses with Errc::config naming the key and attribute on any mismatch or missing key. In
// wrapped mode it also runs a self-test: a known key wrapped, unwrapped under the forced template
// and MACed in the token must match software HMAC, and unwrapping under the active KEK into a
// readable key must be refused by the token. Returns the vault for config.custody.
Result<std::shared_ptr<SeedVault>> make_seed_vault(std::shared_ptr<Token> token,
                                                   const TokenConfig& config);

// HMAC-SHA256, computed in the token under the provisioned service MAC key, over
// `purpose` || 0x00 || `data`. `purpose` (non-empty, no NUL) separates uses of the one key, e.g.
// "email-code", "audit-seal", so a MAC made for one can never verify as another. "seed-ref" is
// reserved for the wrapped vault's blob authentication (invalid_argument here).
// Errors: config (no MAC key provisioned), invalid_argument, hsm_unavailable, hsm_error.
Result<Mac> service_mac(Token& token, std::string_view purpose, std::span<const std::uint8_t> data);

// Fills `out` from the token's RNG (C_GenerateRandom): email codes, challenge nonces. On error
// `out` is zeroed and must not be used.
Status random_bytes(Token& token, std::span<std::uint8_t> out);

// Dev/test tokens only: initialises the first uninitialised slot of the module with `label`,
// sets the SO PIN and the user PIN (C_InitToken, SO login, C_InitPIN).
Status init_token(const std::string& module_path, std::string_view label, const SecretBytes& so_pin,
                  const SecretBytes& user_pin);

}  // namespace hsm2fa::hsm
