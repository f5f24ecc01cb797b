// A software AuditKeys for tests: HMAC-SHA256 via EVP_MAC under a random key, ECDSA P-256 via an
// OpenSSL-generated key. Either operation can be made to fail.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "hsm2fa/audit/audit_keys.hpp"

namespace hsm2fa::audit::testing {

class SoftwareAuditKeys final : public AuditKeys {
 public:
  SoftwareAuditKeys();
  ~SoftwareAuditKeys() override;
  Result<Mac> seal(std::span<const std::uint8_t> data) override;
  Result<std::vector<std::uint8_t>> sign(std::span<const std::uint8_t, 32> digest) override;

  std::string public_key_pem() const;
  std::atomic<bool> fail_seal{false};
  std::atomic<bool> fail_sign{false};

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace hsm2fa::audit::testing
