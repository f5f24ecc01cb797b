#include "code_match.hpp"

#include <limits>
#include <memory>
#include <string>

#include "hsm2fa/otp/hotp.hpp"
#include "hsm2fa/otp/totp_window.hpp"
#include "validation.hpp"

namespace hsm2fa::service {

Result<std::string> canonicalise(std::string_view code, int digits) {
  if (!is_code_format(code)) {
    return make_error(Errc::invalid_argument, "code must be exactly 6 or 8 ASCII digits");
  }
  auto canonical = otp::canonical_code(code, digits);
  if (!canonical) {
    return make_error(Errc::invalid_argument,
                      "code must have " + std::to_string(digits) + " digits");
  }
  return std::move(*canonical);
}

namespace {

// The credential's seed as an oracle whose every batch of counters is one vault operation
// (SeedVault::mac_counters: the open, the algorithm check and the HMACs in one token round trip).
class CredentialOracle final : public HmacOracle {
 public:
  CredentialOracle(SeedVault& vault, const TotpCredential& credential)
      : vault_(vault), credential_(credential) {}
  HashAlg algorithm() const noexcept override { return credential_.alg; }
  Result<std::vector<Mac>> mac_counters(std::span<const std::uint64_t> counters) override {
    return vault_.mac_counters(credential_.seed, credential_.alg, counters);
  }

 private:
  SeedVault& vault_;
  const TotpCredential& credential_;
};

Result<std::vector<std::int64_t>> signed_steps(const std::vector<std::uint64_t>& steps) {
  std::vector<std::int64_t> out;
  out.reserve(steps.size());
  for (std::uint64_t step : steps) {
    // Unreachable for any clock value a system can hold; refuse rather than wrap.
    if (step > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return make_error(Errc::internal, "time step out of range");
    }
    out.push_back(static_cast<std::int64_t>(step));
  }
  return out;
}

}  // namespace

Result<std::vector<std::int64_t>> matched_steps(const ServiceContext& ctx,
                                                const TotpCredential& credential,
                                                std::string_view canonical) {
  CredentialOracle oracle(*ctx.vault, credential);
  const std::uint64_t now_step = otp::totp_step(ctx.now_seconds(), credential.period);
  auto steps =
      otp::matching_steps(oracle, canonical, now_step, ctx.config.window, credential.digits);
  if (!steps) return std::move(steps).error();
  return signed_steps(*steps);
}

Result<LockedMatch> matched_steps_then_lock(const ServiceContext& ctx,
                                            const TotpCredential& credential,
                                            std::string_view canonical) {
  // The check may run on a token worker after a missed deadline: it owns everything it uses.
  auto found = std::make_shared<std::vector<std::uint64_t>>();
  SeedVault::SeedCheck check = [found, code = std::string(canonical),
                                now_step = otp::totp_step(ctx.now_seconds(), credential.period),
                                window = ctx.config.window,
                                digits = credential.digits](HmacOracle& oracle) -> Result<bool> {
    auto steps = otp::matching_steps(oracle, code, now_step, window, digits);
    if (!steps) return std::move(steps).error();
    *found = std::move(*steps);
    return !found->empty();
  };
  auto locked = ctx.vault->lock_if(credential.seed, credential.alg, check);
  if (!locked) return std::move(locked).error();
  auto steps = signed_steps(*found);
  if (!steps) return std::move(steps).error();
  return LockedMatch{std::move(*steps), locked->value_or(credential.seed)};
}

}  // namespace hsm2fa::service
