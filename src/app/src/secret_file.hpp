// PINs come from files, never from argv: the first line of a small file, into SecretBytes.
#pragma once

#include <filesystem>

#include "hsm2fa/result.hpp"
#include "hsm2fa/secret.hpp"

namespace hsm2fa::app {

// Errc::config if the file is missing, unreadable, empty or longer than 256 bytes.
Result<SecretBytes> read_secret_line(const std::filesystem::path& file);

// Asks for a secret on the controlling terminal with echo off (never stdin, never argv).
// Errc::config without a terminal, or for an empty answer or one longer than 256 bytes.
Result<SecretBytes> prompt_secret_line(const char* prompt);

}  // namespace hsm2fa::app
