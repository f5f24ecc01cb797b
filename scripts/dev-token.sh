#!/usr/bin/env bash
# Prepares a development token and config under $HSM2FA_VAR (default ./var), reusing whatever is
# already there: a SoftHSM2 config with its own token directory, random SO and user PINs (mode
# 0600, never echoed), the token (initialised once), the service's keys, and hsm2fa.toml.
# Expects the binaries in ${BUILD_DIR:-build}/bin. Prints the exports the daemon needs.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
bin="${BUILD_DIR:-build}/bin"
var="${HSM2FA_VAR:-./var}"
mkdir -p "$var"
var="$(cd "$var" && pwd)"
umask 077

mkdir -p "$var/tokens"
if [ ! -f "$var/softhsm2.conf" ]; then
  cat >"$var/softhsm2.conf" <<CONF
directories.tokendir = $var/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
fi
export SOFTHSM2_CONF="$var/softhsm2.conf"

# A PIN: 32 hex digits from the kernel's RNG, written straight to its file.
new_pin() {
  [ -s "$1" ] && return 0
  (umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$1")
  chmod 600 "$1"
}
new_pin "$var/so.pin"
new_pin "$var/user.pin"

if [ ! -f "$var/hsm2fa.toml" ]; then
  # The example's relative paths (socket, PIN file, database) land next to this copy.
  sed -e 's|^token = "pkcs11:token=hsm2fa"|token = "pkcs11:token=hsm2fa-dev"|' \
      "$root/config/hsm2fa.example.toml" >"$var/hsm2fa.toml"
fi

config=(--config "$var/hsm2fa.toml")
if ! softhsm2-util --show-slots 2>/dev/null | grep -q 'Label:[[:space:]]*hsm2fa-dev[[:space:]]*$'; then
  "$bin/hsm2fa" "${config[@]}" token init --label hsm2fa-dev --so-pin-file "$var/so.pin"
fi
"$bin/hsm2fa" "${config[@]}" token provision
