// Lower-case hexadecimal text of bytes: key ids, MACs, digests, random ids. Not for secrets that
// must stay in SecretBytes: the result is an ordinary std::string.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace hsm2fa {

std::string to_hex(std::span<const std::uint8_t> bytes);

}  // namespace hsm2fa
