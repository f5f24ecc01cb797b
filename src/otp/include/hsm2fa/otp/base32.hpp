// RFC 4648 base32 (alphabet A-Z 2-7) without padding: the format of pairing codes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "hsm2fa/result.hpp"
#include "hsm2fa/secret.hpp"

namespace hsm2fa::otp {

// Upper case, no '=' padding (the Key Uri Format omits it).
std::string base32_encode(std::span<const std::uint8_t> bytes);
// The same, for encodings of a seed: the text never passes through an unwiped buffer.
SecretBytes base32_encode_secret(std::span<const std::uint8_t> bytes);

// Strict inverse of base32_encode, so every accepted text has exactly one meaning:
// - only 'A'-'Z' and '2'-'7'; lower case, '=' padding, spaces and separators are rejected
//   (callers that accept user-typed codes normalise them first, visibly);
// - the length must be one an encoder can produce (length % 8 not 1, 3 or 6);
// - the unused low bits of the last character must be zero.
// The empty text decodes to no bytes. Errors are invalid_argument and never quote the input.
Result<SecretBytes> base32_decode(std::string_view text);

}  // namespace hsm2fa::otp
