// Checking a checkpoint's ECDSA signature with the exported public key (OpenSSL EVP only).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "hsm2fa/result.hpp"

namespace hsm2fa::audit {

class CheckpointVerifier {
 public:
  // Errc::invalid_argument unless `pem` is an EC public key.
  static Result<CheckpointVerifier> from_pem(std::string_view pem);
  // True iff `der_signature` is a valid ECDSA-with-SHA-256 signature over `message`.
  bool verify(std::string_view message, std::span<const std::uint8_t> der_signature) const;

 private:
  struct KeyFree {
    void operator()(void* key) const noexcept;
  };
  explicit CheckpointVerifier(void* key) : key_(key) {}
  std::unique_ptr<void, KeyFree> key_;
};

}  // namespace hsm2fa::audit
