#include "reference_totp.hpp"

#include <openssl/evp.h>

#include <stdexcept>
#include <vector>

namespace hsm2fa::testing {
namespace {

std::vector<std::uint8_t> decode_base32(std::string_view text) {
  std::vector<std::uint8_t> out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    if (c >= '2' && c <= '7') v = c - '2' + 26;
    if (v < 0) throw std::invalid_argument("not base32");
    buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(buffer >> bits));
    }
  }
  return out;
}

const char* digest_name(HashAlg alg) {
  switch (alg) {
    case HashAlg::sha1:
      return "SHA1";
    case HashAlg::sha256:
      return "SHA256";
    case HashAlg::sha512:
      return "SHA512";
  }
  return "SHA1";
}

}  // namespace

std::string reference_code(std::string_view secret_base32, HashAlg alg, int digits,
                           std::int64_t step) {
  const auto key = decode_base32(secret_base32);
  std::uint8_t message[8];
  for (int i = 7; i >= 0; --i) {
    message[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(step) >> (8 * (7 - i)));
  }
  std::uint8_t mac[64];
  size_t mac_len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, digest_name(alg), nullptr, key.data(), key.size(),
                message, sizeof message, mac, sizeof mac, &mac_len) == nullptr) {
    throw std::runtime_error("EVP_Q_mac failed");
  }
  const int offset = mac[mac_len - 1] & 0x0f;
  const std::uint32_t binary = (std::uint32_t{mac[offset]} & 0x7f) << 24 |
                               std::uint32_t{mac[offset + 1]} << 16 |
                               std::uint32_t{mac[offset + 2]} << 8 | mac[offset + 3];
  std::uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  std::string code = std::to_string(binary % modulus);
  return std::string(static_cast<std::size_t>(digits) - code.size(), '0') + code;
}

}  // namespace hsm2fa::testing
