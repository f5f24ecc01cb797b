// What the email and push flows need from outside the service: a MAC under a token key, random
// bytes, and a way to send mail. The daemon wires them to the token and to SMTP; tests use fakes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "hsm2fa/hmac_oracle.hpp"
#include "hsm2fa/result.hpp"
#include "hsm2fa/secret.hpp"

namespace hsm2fa::service {

// HMAC-SHA256 in the token under the service MAC key over `purpose` || 0x00 || `data`
// (hsm::service_mac). Errors as the token's: hsm_unavailable, hsm_error, config.
using TokenMac =
    std::function<Result<Mac>(std::string_view purpose, std::span<const std::uint8_t> data)>;

// Unpredictable bytes for email codes, challenge ids and nonces. Thread-safe.
class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // All of `out`, or an error (nothing usable).
  virtual Status fill(std::span<std::uint8_t> out) = 0;
};

// OpenSSL's private DRBG (RAND_priv_bytes). DESIGN.md asks for the token's C_GenerateRandom:
// once the token layer offers it, a RandomSource over it replaces this one where the daemon
// builds its FlowPorts, and nothing else changes.
std::shared_ptr<RandomSource> make_openssl_random();

// One email code on its way to a user. The code is a secret: it goes into the message body
// and nowhere else (never a log line).
struct EmailMessage {
  std::string to;
  std::string issuer;  // the tenant's, shown to the user
  std::string tenant;
  std::string user;
  const SecretBytes* code = nullptr;
  std::int64_t ttl_seconds = 0;
};

class EmailSender {
 public:
  virtual ~EmailSender() = default;
  // Errors: delivery_failed (relay unreachable, refused, TLS required but not offered).
  virtual Status send(const EmailMessage& message) = 0;
};

struct FlowPorts {
  TokenMac token_mac;                         // without: email codes answer hsm_unavailable
  std::shared_ptr<RandomSource> random;       // without: make_openssl_random()
  std::shared_ptr<EmailSender> email_sender;  // required when a tenant delivers over SMTP
};

}  // namespace hsm2fa::service
