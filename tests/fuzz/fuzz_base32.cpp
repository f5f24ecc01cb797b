// base32_decode on arbitrary text. Contract checked (otp/base32.hpp): the decoder is the strict
// inverse of the encoder, so every accepted text re-encodes to itself, and every byte string
// survives an encode/decode round trip.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "hsm2fa/otp/base32.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hsm2fa::otp;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto decoded = base32_decode(text);
  if (decoded.ok() && base32_encode(decoded->span()) != text) std::abort();

  const std::span<const std::uint8_t> bytes(data, size);
  auto round = base32_decode(base32_encode(bytes));
  if (!round.ok() || round->size() != size) std::abort();
  for (std::size_t i = 0; i < size; ++i)
    if (round->data()[i] != data[i]) std::abort();
  if (base32_encode_secret(bytes).view() != base32_encode(bytes)) std::abort();
  return 0;
}
