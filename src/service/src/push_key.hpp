// Devices' public keys: EC P-256 only, checked and used through OpenSSL 3's EVP APIs.
#pragma once

#include <string_view>

#include "hsm2fa/result.hpp"

namespace hsm2fa::service {

// invalid_argument unless `pem` is one PEM SubjectPublicKeyInfo of an EC key on prime256v1.
Status check_p256_public_key(std::string_view pem);

// true when `der_signature` is a valid ECDSA-P256-SHA256 signature of `message` under the key.
// A malformed key or signature is simply "false".
bool verify_p256_signature(std::string_view pem, std::string_view message,
                           std::string_view der_signature);

}  // namespace hsm2fa::service
