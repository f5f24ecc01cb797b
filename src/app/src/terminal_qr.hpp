// A QR code drawn with Unicode half blocks, for a terminal. The text is a secret (a pairing
// URI): the encoder's buffers are wiped.
#pragma once

#include <cstdio>

#include "hsm2fa/result.hpp"
#include "hsm2fa/secret.hpp"

namespace hsm2fa::app {

Status print_qr(const SecretBytes& text, std::FILE* out);

}  // namespace hsm2fa::app
