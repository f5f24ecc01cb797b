// Test support for tests/hsm: a throw-away SoftHSM2 token per test process, raw access to the
// token for custody checks, and a software HMAC to compare against.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hsm2fa/hmac_oracle.hpp"
#include "hsm2fa/hsm/token.hpp"

namespace hsm2fa::hsm::testing {

inline constexpr const char* kSoftHsmModule = "/usr/lib/softhsm/libsofthsm2.so";

bool softhsm_available();

// Created on first use: a temp dir with softhsm2.conf (SOFTHSM2_CONF set before the module is
// first loaded), a token initialised by init_token, and a PIN file. Removed at process exit.
class ThrowAwayToken {
 public:
  static const ThrowAwayToken& get();
  // A config for this token; the pin file holds the right PIN.
  TokenConfig config(Custody custody, std::string prefix = "hsm2fa") const;
  std::filesystem::path dir;
  std::filesystem::path pin_file;
  std::string label = "hsm2fa-test";
  std::string so_pin;  // for the security officer's ceremonies (KEK rotation)
};

#define HSM2FA_REQUIRE_SOFTHSM()                              \
  do {                                                        \
    if (!::hsm2fa::hsm::testing::softhsm_available())         \
      GTEST_SKIP() << "SoftHSM2 module not installed at "     \
                   << ::hsm2fa::hsm::testing::kSoftHsmModule; \
  } while (0)

// Opens the token, provisions `config`'s keys and makes its vault; fails the test otherwise.
struct OpenVault {
  std::shared_ptr<Token> token;
  std::shared_ptr<SeedVault> vault;
};
OpenVault open_provisioned(const TokenConfig& config);

// OpenSSL EVP_MAC HMAC of the 8-byte big-endian counter.
Mac software_hmac(HashAlg alg, std::span<const std::uint8_t> key, std::uint64_t counter);
// RFC 4226 dynamic truncation to `digits` decimal digits.
std::uint32_t truncate(const Mac& mac, int digits);
std::vector<std::uint8_t> bytes_of(std::string_view s);

}  // namespace hsm2fa::hsm::testing
