// PINs come from files, never from argv: the first line of a small file, into SecretBytes.
#pragma once

#include <filesystem>

#include "hsm2fa/result.hpp"
#include "hsm2fa/secret.hpp"

namespace hsm2fa::app {

// Errc::config if the file is missing, unreadable, empty or longer than 256 bytes.
Result<SecretBytes> read_secret_line(const std::filesystem::path& file);

}  // namespace hsm2fa::app
