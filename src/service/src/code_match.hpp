// Checking a submitted code against a credential: canonicalise, then compute every candidate in
// the window with one token call. Shared by confirm and verify.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hsm2fa/result.hpp"
#include "service_context.hpp"

namespace hsm2fa::service {

// The code if it is exactly `digits` ASCII digits, else invalid_argument (counts as nothing).
Result<std::string> canonicalise(std::string_view code, int digits);

// Steps in [now - window, now + window] (server time) whose code equals `canonical`,
// ascending. The HMACs are computed by the vault's oracle for the credential's seed.
Result<std::vector<std::int64_t>> matched_steps(const ServiceContext& ctx,
                                                const TotpCredential& credential,
                                                std::string_view canonical);

// Confirming a pending credential: matched_steps(), and when a step matched, the seed locked in
// the same vault operation (SeedVault::lock_if). `seed` is the ref to store from now on: the
// locked one, or the credential's own when nothing matched.
struct LockedMatch {
  std::vector<std::int64_t> steps;
  SeedRef seed;
};
Result<LockedMatch> matched_steps_then_lock(const ServiceContext& ctx,
                                            const TotpCredential& credential,
                                            std::string_view canonical);

}  // namespace hsm2fa::service
