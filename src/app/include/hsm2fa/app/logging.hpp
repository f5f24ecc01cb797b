// spdlog set-up for both executables: stderr or a file, the configured level.
#pragma once

#include "hsm2fa/app/config.hpp"
#include "hsm2fa/result.hpp"

namespace hsm2fa::app {

Status setup_logging(const LogConfig& config);

}  // namespace hsm2fa::app
