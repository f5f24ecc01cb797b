#!/usr/bin/env bash
# The README's "Login demo": builds hsm2fad, prepares a development token and config under
# $HSM2FA_VAR (default ./var/demo, apart from scripts/run.sh's ./var; a second run reuses all
# of it), starts hsm2fad and the login demo (examples/login-demo), and prints its URL. Ctrl-C
# (or SIGTERM/SIGHUP to this script alone) stops both, and so does either of them stopping: no
# demo is left in front of a stopped daemon, none listening after the script has gone.
#
# Email codes are on with delivery "caller": hsm2fad hands each code to the demo, which writes the
# message into $HSM2FA_VAR/login-demo/mail/ (or sends it through DEMO_SMTP=host:port).
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1
cd "$(dirname "$0")/.."
root="$(pwd)"
scripts/install-deps.sh
export BUILD_DIR="${BUILD_DIR:-build}"
cmake -S . -B "$BUILD_DIR" -G Ninja >/dev/null
cmake --build "$BUILD_DIR" --target hsm2fad hsm2fa -j "$(nproc)"

export HSM2FA_VAR="${HSM2FA_VAR:-./var/demo}"
mkdir -p "$HSM2FA_VAR"
var="$(cd "$HSM2FA_VAR" && pwd)"
listen="${DEMO_LISTEN:-127.0.0.1:8080}"
umask 077

# The example config with the dev token, and email codes on for the "Send New Code" button.
if [ ! -f "$var/hsm2fa.toml" ]; then
  sed -e 's|^token = "pkcs11:token=hsm2fa"|token = "pkcs11:token=hsm2fa-dev"|' \
      -e 's|^enabled = false\( *# offer email codes\)|enabled = true \1|' \
      -e 's|^delivery = "smtp"  \( *# "smtp" (the daemon mails it)\)|delivery = "caller"\1|' \
      -e 's|^issuer = "hsm2fa"|issuer = "Login Demo"|' \
      "$root/config/hsm2fa.example.toml" >"$var/hsm2fa.toml.new"
  if ! grep -q '^enabled = true ' "$var/hsm2fa.toml.new" ||
     ! grep -q '^delivery = "caller"' "$var/hsm2fa.toml.new"; then
    echo "demo: config/hsm2fa.example.toml changed shape; cannot turn email codes on" >&2
    exit 1
  fi
  mv "$var/hsm2fa.toml.new" "$var/hsm2fa.toml"
fi
scripts/dev-token.sh
export SOFTHSM2_CONF="$var/softhsm2.conf"

# Both processes run in the background so that a signal to this script alone (not only Ctrl-C to
# the whole process group) reaches the traps below, which stop them; `wait` returns on a trapped
# signal at once.
children=()
stop_children() {
  [ ${#children[@]} -eq 0 ] && return 0
  kill "${children[@]}" 2>/dev/null || true
  wait "${children[@]}" 2>/dev/null || true
}
trap stop_children EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

"$BUILD_DIR/bin/hsm2fad" --config "$var/hsm2fa.toml" 2>>"$var/hsm2fad.log" &
daemon=$!
children+=("$daemon")
healthy() {
  curl -fsS --unix-socket "$var/hsm2fa.sock" http://localhost/v1/health >/dev/null 2>&1
}
for _ in $(seq 300); do
  healthy && break
  if ! kill -0 "$daemon" 2>/dev/null; then
    echo "demo: hsm2fad stopped; see $var/hsm2fad.log" >&2
    exit 1
  fi
  sleep 0.1
done
if ! healthy; then
  echo "demo: hsm2fad is not healthy after 30 s; see $var/hsm2fad.log" >&2
  exit 1
fi

# Demo accounts, once: random passwords into a file only the owner reads (never on a command line).
demo=examples/login-demo
state="$var/login-demo"
if [ ! -f "$state/users.json" ]; then
  mkdir -p "$state"
  : >"$var/demo-passwords.txt"
  for spec in "admin --admin" "alice --email alice@example.com" "bob --email bob@example.com"; do
    name="${spec%% *}"
    password="$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
    # $spec unquoted on purpose: the name and its options.
    printf '%s\n' "$password" |
      /usr/bin/python3 "$demo/server.py" add-user $spec --state "$state" >/dev/null
    printf '%s %s\n' "$name" "$password" >>"$var/demo-passwords.txt"
  done
fi

cat <<EOF

  Login demo: http://$listen/
  Accounts (name password): $var/demo-passwords.txt
  Email codes land in:      $state/mail/
  Phone simulator, in another terminal:
    export HSM2FA_SOCKET=$var/hsm2fa.sock
    $demo/phone --key $state/alice-phone.json register alice
    $demo/phone --key $state/alice-phone.json approve     # while alice is on the Code screen
  Start as admin: Admin -> "Enable 2FA" for alice; sign in as alice; pair an app in Preferences.

EOF
smtp=()
[ -n "${DEMO_SMTP:-}" ] && smtp=(--smtp "$DEMO_SMTP")
/usr/bin/python3 "$demo/server.py" serve --socket "$var/hsm2fa.sock" --state "$state" \
  --listen "$listen" "${smtp[@]}" &
children+=("$!")
status=0
wait -n || status=$?
if ! kill -0 "$daemon" 2>/dev/null; then
  echo "demo: hsm2fad stopped; see $var/hsm2fad.log" >&2
else
  echo "demo: the login demo stopped" >&2
fi
exit "$((status == 0 ? 1 : status))"
