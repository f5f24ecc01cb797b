#include "hsm2fa/hmac_oracle.hpp"

namespace hsm2fa {

std::string_view to_string(HashAlg alg) noexcept {
  switch (alg) {
    case HashAlg::sha1:
      return "SHA1";
    case HashAlg::sha256:
      return "SHA256";
    case HashAlg::sha512:
      return "SHA512";
  }
  return "?";
}

std::optional<HashAlg> parse_hash_alg(std::string_view s) noexcept {
  if (s == "SHA1") return HashAlg::sha1;
  if (s == "SHA256") return HashAlg::sha256;
  if (s == "SHA512") return HashAlg::sha512;
  return std::nullopt;
}

std::size_t digest_size(HashAlg alg) noexcept {
  switch (alg) {
    case HashAlg::sha1:
      return 20;
    case HashAlg::sha256:
      return 32;
    case HashAlg::sha512:
      return 64;
  }
  return 0;
}

}  // namespace hsm2fa
