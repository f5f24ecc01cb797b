#!/usr/bin/env bash
# The README's run command: installs what is missing, builds, prepares the development token and
# config under $HSM2FA_VAR (default ./var; a second run reuses all of it) and runs hsm2fad in the
# foreground. Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
export HSM2FA_VAR="${HSM2FA_VAR:-./var}"
scripts/dev-token.sh
var="$(cd "$HSM2FA_VAR" && pwd)"
export SOFTHSM2_CONF="$var/softhsm2.conf"
echo "hsm2fad is starting; try:"
echo "  curl --unix-socket $HSM2FA_VAR/hsm2fa.sock http://localhost/v1/health"
exec "${BUILD_DIR:-build}/bin/hsm2fad" --config "$var/hsm2fa.toml"
