// The token side of an online KEK rotation (wrapped mode, kek_rotation = "trusted"): the vault
// re-wraps an active blob under the newest KEK without the seed ever leaving the token. The rest
// of the service sees KEKs only by name ("kek-N"); what a name means is the vault's business.
#pragma once

#include <string>

#include "hsm2fa/result.hpp"
#include "hsm2fa/seed_vault.hpp"

namespace hsm2fa {

class SeedRewrapper {
 public:
  virtual ~SeedRewrapper() = default;
  // Rescans the token: the newest KEK becomes the one new blobs and rewrap() seal under. Its
  // name. Errors: config (no KEK), hsm_unavailable.
  virtual Result<std::string> refresh_target() = 0;
  // Whether `ref` is an active blob under a KEK other than the target (reads the ref only, no
  // token call; its MAC is checked by rewrap()). Pending blobs stay as they are: false.
  virtual bool needs_rewrap(const SeedRef& ref) const = 0;
  // Checks the ref's MAC, unwraps it under its KEK into a sensitive session key, wraps that
  // under the target and MACs the new ref, all in the token. Errors: tampered, config (its KEK
  // is gone), hsm_unavailable, hsm_error.
  virtual Result<SeedRef> rewrap(const SeedRef& ref) = 0;
};

}  // namespace hsm2fa
