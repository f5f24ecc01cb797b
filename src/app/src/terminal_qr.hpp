// A QR code drawn with Unicode half blocks, for a terminal. The text is a secret (a pairing
// URI): the encoder's buffers are wiped.
#pragma once

#include <cstdio>
#include <filesystem>

#include "hsm2fa/result.hpp"
#include "hsm2fa/secret.hpp"

namespace hsm2fa::app {

Status print_qr(const SecretBytes& text, std::FILE* out);

// The same code as an SVG image (one square path per dark module), written to a new file of
// mode 0600: it is the pairing secret. An existing file is not overwritten (Errc::conflict).
// PNG is not offered: it would need libpng for what an SVG does at any size.
Status write_qr_svg(const SecretBytes& text, const std::filesystem::path& file);

}  // namespace hsm2fa::app
