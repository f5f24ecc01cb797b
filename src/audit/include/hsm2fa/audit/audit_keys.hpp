// The two token operations the audit log needs, as an interface so that this library does not
// depend on the token layer. Production: an adapter over hsm::service_mac(token, "audit", …) and
// hsm::audit_sign. Tests: a software double.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "hsm2fa/hmac_oracle.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::audit {

// Thread-safe.
class AuditKeys {
 public:
  virtual ~AuditKeys() = default;
  // HMAC under a key that never leaves the token: the seal over one line's chain value.
  virtual Result<Mac> seal(std::span<const std::uint8_t> data) = 0;
  // ECDSA P-256 over a SHA-256 digest, as a DER ECDSA-Sig-Value (what `openssl dgst -verify`
  // reads).
  virtual Result<std::vector<std::uint8_t>> sign(std::span<const std::uint8_t, 32> digest) = 0;
};

}  // namespace hsm2fa::audit
