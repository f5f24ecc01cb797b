#include "hsm2fa/otp/base32.hpp"

#include <array>

namespace hsm2fa::otp {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

constexpr std::size_t encoded_size(std::size_t bytes) noexcept { return (bytes * 8 + 4) / 5; }

// `out` has room for encoded_size(in.size()) characters.
void encode_into(std::span<const std::uint8_t> in, char* out) noexcept {
  std::uint32_t buffer = 0;  // only the low `bits` bits are pending
  int bits = 0;
  std::size_t o = 0;
  for (std::uint8_t b : in) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out[o++] = kAlphabet[(buffer >> (bits - 5)) & 31u];
      bits -= 5;
    }
  }
  if (bits > 0) out[o++] = kAlphabet[(buffer << (5 - bits)) & 31u];
  secure_wipe(&buffer, sizeof buffer);
}

int decode_char(char c) noexcept {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

Error invalid(std::string message) {
  return make_error(Errc::invalid_argument, std::move(message));
}

}  // namespace

std::string base32_encode(std::span<const std::uint8_t> bytes) {
  std::string out(encoded_size(bytes.size()), '\0');
  encode_into(bytes, out.data());
  return out;
}

SecretBytes base32_encode_secret(std::span<const std::uint8_t> bytes) {
  SecretBytes out(encoded_size(bytes.size()));
  encode_into(bytes, reinterpret_cast<char*>(out.data()));
  return out;
}

Result<SecretBytes> base32_decode(std::string_view text) {
  // 1, 3 and 6 trailing characters cannot come from whole bytes (RFC 4648 section 6).
  switch (text.size() % 8) {
    case 1:
    case 3:
    case 6:
      return invalid("base32: impossible length");
    default:
      break;
  }
  SecretBytes out(text.size() * 5 / 8);
  std::uint32_t buffer = 0;
  int bits = 0;
  std::size_t o = 0;
  for (char c : text) {
    const int v = decode_char(c);
    if (v < 0) {
      secure_wipe(&buffer, sizeof buffer);
      return invalid("base32: only A-Z and 2-7 are allowed (upper case, no padding)");
    }
    buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out.data()[o++] = static_cast<std::uint8_t>(buffer >> (bits - 8));
      bits -= 8;
    }
  }
  const bool trailing_clear = (buffer & ((1u << bits) - 1u)) == 0;
  secure_wipe(&buffer, sizeof buffer);
  if (!trailing_clear) return invalid("base32: non-zero trailing bits");
  return out;
}

}  // namespace hsm2fa::otp
