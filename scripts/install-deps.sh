#!/usr/bin/env bash
# Installs every Debian package that building, testing and running hsm2fa needs.
# Idempotent; prints nothing when everything is already installed.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang-format
  # fuzzing (scripts/fuzz.sh): clang with libFuzzer and the sanitizer runtimes
  clang libclang-rt-14-dev
  # libraries (README: what each is for)
  libssl-dev libp11-kit-dev p11-kit
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev
  libspdlog-dev libfmt-dev libtomlplusplus-dev libsqlite3-dev libpq-dev libqrencode-dev
  libcurl4-openssl-dev libgtest-dev libgmock-dev
  # the development token and PKCS#11 tools
  softhsm2 opensc
  # tests and tools
  curl sqlite3 python3 python3-cryptography python3-aiosmtpd gnuplot-nox
  # the login demo's browser tests (tests/browser): headless Chromium driven by Selenium
  chromium chromium-driver python3-selenium zbar-tools
  # the PostgreSQL store's tests start a throw-away server (initdb, pg_ctl)
  postgresql
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
