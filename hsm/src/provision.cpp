// The provisioning ceremony's token side: creates the service keys that are missing.
#include <spdlog/spdlog.h>

#include "audit_key.hpp"
#include "hsm2fa/hsm/audit_key.hpp"
#include "kek_ring.hpp"
#include "key_specs.hpp"
#include "token_impl.hpp"

namespace hsm2fa::hsm {
namespace {

Status generate(SessionPool::Lease& lease, const KeySpec& spec) {
  return generate_key(lease.session(), spec);
}

// Both halves of the audit key pair, or neither (then generated). One half alone cannot be
// repaired here: it needs a person to look at it.
Status provision_audit_key(TokenImpl& token, ProvisionReport& report) {
  const std::string label = audit_key_label(token.config().key_prefix);
  int present = 0;
  for (CK_OBJECT_CLASS object_class : {CKO_PRIVATE_KEY, CKO_PUBLIC_KEY}) {
    auto found = token.object(object_class, label);
    if (found) {
      ++present;
    } else if (found.error().code != Errc::config ||
               found.error().message.find("missing") == std::string::npos) {
      return std::move(found).error();
    }
  }
  if (present == 2) {
    report.existing.push_back(label);
    return {};
  }
  if (present == 1) {
    return make_error(Errc::config, "only one half of the audit key pair " + label +
                                        " is in the token: remove it, then provision again");
  }
  auto lease = token.lease();
  if (!lease) return std::move(lease).error();
  if (auto status = generate_audit_key(*lease, label); !status) {
    Error error = std::move(status).error();
    error.message = "creating key pair " + label + ": " + error.message;
    return error;
  }
  spdlog::info("token: created key pair {}", label);
  report.created.push_back(label);
  return {};
}

}  // namespace

Result<ProvisionReport> provision(Token& token, const TokenConfig& config) {
  auto* impl = dynamic_cast<TokenImpl*>(&token);
  if (impl == nullptr) return make_error(Errc::internal, "provision: not a PKCS#11 token");
  auto wrap = parse_wrap_mechanism(config.wrap_mechanism);
  if (!wrap) return std::move(wrap).error();

  ProvisionReport report;
  const bool rotatable = config.kek_rotation == KekRotation::trusted;
  for (const auto& spec : service_key_specs(config.key_prefix, *wrap, rotatable)) {
    if (rotatable && spec.label == kek_label(config.key_prefix)) {
      // After a rotation kek-1 may be gone on purpose: any kek-N stands for it.
      auto lease = impl->lease();
      if (!lease) return std::move(lease).error();
      auto numbers = kek_numbers(lease->session(), config.key_prefix);
      if (!numbers) return std::move(numbers).error();
      if (!numbers->empty()) {
        report.existing.push_back(kek_label(config.key_prefix, numbers->back()));
        continue;
      }
    }
    auto existing = impl->key(spec.label);
    if (existing) {
      report.existing.push_back(spec.label);
      continue;
    }
    if (existing.error().code != Errc::config) return std::move(existing).error();
    auto lease = impl->lease();
    if (!lease) return std::move(lease).error();
    if (auto status = generate(*lease, spec); !status) {
      Error error = std::move(status).error();
      error.message = "creating key " + spec.label + ": " + error.message;
      return error;
    }
    spdlog::info("token: created key {}", spec.label);
    report.created.push_back(spec.label);
  }
  if (auto status = provision_audit_key(*impl, report); !status) return std::move(status).error();
  return report;
}

}  // namespace hsm2fa::hsm
