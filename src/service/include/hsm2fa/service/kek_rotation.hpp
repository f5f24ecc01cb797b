// Online KEK rotation, the daemon's half (wrapped mode, kek_rotation = "trusted"): once the
// security officer has made a newer KEK, a background pass re-wraps every active blob still
// under an older one while the service keeps serving. Each blob is replaced with the store's
// compare-and-set, so a concurrent confirm, re-enrollment or delete always wins; pending blobs
// (under the pending KEK) are left as they are. Verification never waits for it: the vault opens
// blobs under any KEK still in the token.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "hsm2fa/result.hpp"
#include "hsm2fa/seed_rewrapper.hpp"
#include "hsm2fa/service/audit_sink.hpp"
#include "hsm2fa/store.hpp"

namespace hsm2fa::service {

struct Caller;

struct KekRotationProgress {
  std::string state = "idle";  // "idle", "running", "done", "failed"
  std::string target;          // the KEK blobs are moved to, "kek-N"
  std::uint64_t total = 0;     // active blobs under an older KEK when the pass counted them
  std::uint64_t done = 0;      // re-wrapped and stored
  std::uint64_t failed = 0;    // could not be re-wrapped (a tampered or orphaned blob, an outage)
  std::uint64_t skipped = 0;   // changed under the pass (the compare-and-set lost): not needed
  std::string error;           // why the pass stopped early (state "failed")
  std::uint64_t remaining() const noexcept {
    const std::uint64_t settled = done + failed + skipped;
    return total > settled ? total - settled : 0;
  }
};

class KekRotation {
 public:
  virtual ~KekRotation() = default;
  // Rescans the token for the newest KEK and starts a pass in the background, unless one is
  // running (then its progress, and nothing new). Audited as "kek.rotate" (outcome "started",
  // and "done" or "failed" when the pass ends). Errors: audit_unavailable, config (no KEK),
  // hsm_unavailable.
  virtual Result<KekRotationProgress> start(const Caller& caller) = 0;
  virtual KekRotationProgress progress() const = 0;
  // Custody is weaker by configuration (trusted KEKs are public objects, SoftHSM2 only).
  virtual bool public_kek() const noexcept = 0;
};

// The pass pages through Store::totp_credentials_after. An outage (hsm_unavailable,
// store_unavailable) is retried on the same blob for up to a minute before the pass fails; any
// other error counts that blob as failed and the pass goes on. Destruction joins the pass.
std::unique_ptr<KekRotation> make_kek_rotation(std::shared_ptr<Store> store,
                                               std::shared_ptr<SeedRewrapper> rewrapper,
                                               std::shared_ptr<AuditSink> audit, bool public_kek);

}  // namespace hsm2fa::service
