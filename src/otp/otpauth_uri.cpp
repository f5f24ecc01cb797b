#include "hsm2fa/otp/otpauth_uri.hpp"

#include <cstring>

namespace hsm2fa::otp {
namespace {

bool unreserved(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c)) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0f]);
    }
  }
  return out;
}

SecretBytes otpauth_uri(std::string_view issuer, std::string_view account,
                        const SecretBytes& secret_base32, HashAlg alg, int digits, int period) {
  const std::string enc_issuer = percent_encode(issuer);
  std::string head = "otpauth://totp/";
  if (!issuer.empty()) head += enc_issuer + ":";
  head += percent_encode(account) + "?secret=";
  std::string tail;
  if (!issuer.empty()) tail += "&issuer=" + enc_issuer;
  tail += "&algorithm=";
  tail += to_string(alg);
  tail += "&digits=" + std::to_string(digits) + "&period=" + std::to_string(period);

  // Assembled in place so the seed never sits in an unwiped buffer.
  SecretBytes uri(head.size() + secret_base32.size() + tail.size());
  std::uint8_t* p = uri.data();
  std::memcpy(p, head.data(), head.size());
  p += head.size();
  if (!secret_base32.empty()) std::memcpy(p, secret_base32.data(), secret_base32.size());
  p += secret_base32.size();
  std::memcpy(p, tail.data(), tail.size());
  return uri;
}

}  // namespace hsm2fa::otp
