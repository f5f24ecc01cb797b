"""Black-box harness for the integration tests: a throw-away SoftHSM2 token, a generated
config, the real `hsm2fad` on a Unix socket, and an HTTP client for it.

The binaries come from `$HSM2FA_BUILD_DIR/bin` (ctest sets it). When they are missing the
tests skip, except under CI (`$CI` set), where a missing binary is a failure.

Nothing here prints a PIN, seed or code: assertion messages name the request, never secrets.
"""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from httpclient import UnixHTTPConnection, request
from totp import Totp

SOFTHSM_MODULE = os.environ.get("HSM2FA_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so")
HERE = os.path.dirname(os.path.abspath(__file__))


def build_dir():
    explicit = os.environ.get("HSM2FA_BUILD_DIR")
    if explicit:
        return explicit
    return os.path.join(HERE, "..", "..", "build")


def binaries():
    """(daemon, cli) paths; raises SkipTest (or fails under CI) when they are missing."""
    bindir = os.path.join(build_dir(), "bin")
    daemon, cli = os.path.join(bindir, "hsm2fad"), os.path.join(bindir, "hsm2fa")
    missing = [p for p in (daemon, cli) if not os.access(p, os.X_OK)]
    missing += [p for p in (SOFTHSM_MODULE,) if not os.access(p, os.R_OK)]
    if missing:
        reason = "not built or not installed: " + ", ".join(missing)
        if os.environ.get("CI"):
            raise AssertionError(reason)
        # ctest's SKIP_REGULAR_EXPRESSION: the whole module skipped, not one test of it.
        print(f"hsm2fa-integration-skipped: {reason}", file=sys.stderr)
        raise unittest.SkipTest(reason)
    return daemon, cli


DEFAULT_SETTINGS = {
    "custody": "wrapped",
    "socket_mode": "0660",
    "read_timeout_seconds": 10,
    "idle_timeout_seconds": 30,
    "free_failures": 5,
    "base_ms": 200,
    "max_wait_ms": 1000,
    "max_failures": 20,
    "lock_seconds": 2,
    "window": 1,
    "pending_ttl_seconds": 600,
    "export_policy": "until_confirmed",
    "issuer": "Example Co",
    "access": None,  # None: no [access] section; else {"admin": {"uids": [0]}, ...}
    "module": None,  # None: SOFTHSM_MODULE; else a PKCS#11 module path (the fault shim)
    "call_timeout_ms": None,  # None: the daemon's default
    "extra_toml": "",  # appended to the generated config ([email], [push], more tenants)
    "hsm_toml": "",  # more [hsm] keys (kek_rotation, allow_public_kek)
}


def _toml_access(access):
    lines = []
    for role, members in access.items():
        lines.append(f"[access.{role}]")
        lines.append("uids = [%s]" % ", ".join(str(u) for u in members.get("uids", [])))
        lines.append("gids = [%s]" % ", ".join(str(g) for g in members.get("gids", [])))
    return "\n".join(lines) + "\n"


def render_config(tmp, label, s):
    config = f"""
[server]
unix_socket = "{tmp}/hsm2fa.sock"
socket_mode = "{s['socket_mode']}"
io_threads = 1
read_timeout_seconds = {s['read_timeout_seconds']}
idle_timeout_seconds = {s['idle_timeout_seconds']}
shutdown_grace_seconds = 3

[hsm]
module = "{s['module'] or SOFTHSM_MODULE}"
token = "pkcs11:token={label}"
pin_file = "{tmp}/user.pin"
custody = "{s['custody']}"
key_prefix = "hsm2fa"
{"" if s['call_timeout_ms'] is None else f"call_timeout_ms = {s['call_timeout_ms']}"}
{s['hsm_toml']}

[store]
url = "sqlite:{tmp}/hsm2fa.db"

[log]
level = "info"
file = ""

[totp]
algorithm = "SHA1"
digits = 6
period = 30
window = {s['window']}
pending_ttl_seconds = {s['pending_ttl_seconds']}
export_policy = "{s['export_policy']}"

[throttle]
free_failures = {s['free_failures']}
base_ms = {s['base_ms']}
max_wait_ms = {s['max_wait_ms']}
max_failures = {s['max_failures']}
lock_seconds = {s['lock_seconds']}

[tenants.default]
issuer = "{s['issuer']}"
"""
    if s["extra_toml"]:
        config += "\n" + s["extra_toml"].strip() + "\n"
    if s["access"] is not None:
        config += "\n" + _toml_access(s["access"])
    return config.lstrip()


def _write_secret_file(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")


class Deployment:
    """One temp dir holding a token, a config and a daemon. Restartable with the same state."""

    def __init__(self, **overrides):
        unknown = set(overrides) - set(DEFAULT_SETTINGS)
        if unknown:
            raise ValueError(f"unknown settings: {sorted(unknown)}")
        self.settings = dict(DEFAULT_SETTINGS, **overrides)
        self.daemon_bin, self.cli_bin = binaries()
        self.tmp = tempfile.mkdtemp(prefix="hsm2fa-it-")
        # Other uids (the access tests) must reach the socket inside.
        os.chmod(self.tmp, 0o755)
        self.label = "it" + secrets.token_hex(4)
        self.socket = os.path.join(self.tmp, "hsm2fa.sock")
        self.config = os.path.join(self.tmp, "hsm2fa.toml")
        self.log_path = os.path.join(self.tmp, "hsm2fad.log")
        self.tokendir = os.path.join(self.tmp, "tokens")
        self.user_pin = "".join(secrets.choice("0123456789") for _ in range(8))
        self.process = None
        os.mkdir(self.tokendir, 0o700)
        with open(os.path.join(self.tmp, "softhsm2.conf"), "w") as f:
            f.write(f"directories.tokendir = {self.tokendir}\n"
                    "objectstore.backend = file\nlog.level = ERROR\n")
        _write_secret_file(os.path.join(self.tmp, "user.pin"), self.user_pin)
        _write_secret_file(os.path.join(self.tmp, "so.pin"),
                           "".join(secrets.choice("0123456789") for _ in range(8)))
        with open(self.config, "w") as f:
            f.write(render_config(self.tmp, self.label, self.settings))
        self.env = dict(os.environ, SOFTHSM2_CONF=os.path.join(self.tmp, "softhsm2.conf"))

    # --- token and CLI -------------------------------------------------------------------
    def cli(self, *args, check=True, timeout=60):
        proc = subprocess.run([self.cli_bin, "--config", self.config, *args], env=self.env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"`hsm2fa {' '.join(args[:2])}` exited {proc.returncode}: "
                                 f"{proc.stderr.strip()[-2000:]}")
        return proc

    def provision(self):
        self.cli("token", "init", "--label", self.label,
                 "--so-pin-file", os.path.join(self.tmp, "so.pin"))
        self.cli("token", "provision")

    # --- daemon --------------------------------------------------------------------------
    def start(self, timeout=10.0):
        assert self.process is None, "daemon already running"
        log = open(self.log_path, "ab")
        try:
            self.process = subprocess.Popen([self.daemon_bin, "--config", self.config],
                                            env=self.env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT)
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                self.process = None
                raise AssertionError(f"hsm2fad exited {code} at start-up:\n{self.log_tail()}")
            try:
                r = self.request("GET", "/v1/health", timeout=2)
                if r.status == 200:
                    return
                last = f"{r.status} {r.summary(200)}"
            except OSError as e:
                last = repr(e)
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"hsm2fad not healthy within {timeout}s ({last}):\n{self.log_tail()}")

    def stop(self, timeout=8.0):
        """SIGTERM; returns the exit status (the caller asserts it)."""
        if self.process is None:
            return None
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"hsm2fad did not stop within {timeout}s of SIGTERM:\n"
                                 f"{self.log_tail()}")
        self.process = None
        return code

    def stop_ok(self, test):
        code = self.stop()
        test.assertEqual(code, 0, f"hsm2fad exit status after SIGTERM:\n{self.log_tail()}")

    def restart(self, test):
        self.stop_ok(test)
        self.start()

    def kill(self):
        if self.process is not None:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait()
            self.process = None

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def cleanup(self):
        self.kill()
        if os.environ.get("HSM2FA_KEEP_TMP"):
            return
        shutil.rmtree(self.tmp, ignore_errors=True)

    # --- HTTP ----------------------------------------------------------------------------
    def connection(self, timeout=10):
        return UnixHTTPConnection(self.socket, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=10):
        return request(self.socket, method, path, body=body, headers=headers, timeout=timeout)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)


def user_path(user, suffix="", tenant="default"):
    return f"/v1/tenants/{tenant}/users/{user}{suffix}"


def enroll_active(test, deployment, user, confirm_offset=-1, **params):
    """Enrolls and confirms `user`; returns (Totp, the step the confirmation used). Confirming
    with the previous step's code leaves the current and next steps free for the test."""
    r = deployment.post(user_path(user, "/totp"), params or {})
    test.assertEqual(r.status, 201, f"enroll {user}: {r.summary()}")
    body = r.json()
    generator = Totp(body["secret"], digits=params.get("digits", 6),
                     period=params.get("period", 30), algorithm=params.get("algorithm", "SHA1"))
    step = generator.step() + confirm_offset
    r = deployment.post(user_path(user, "/totp/confirm"), {"code": generator.code(step)})
    test.assertEqual(r.status, 200, f"confirm {user}: {r.summary()}")
    test.assertEqual(r.json(), {"valid": True, "state": "active"}, f"confirm {user}")
    return generator, step


class DeploymentTestCase(unittest.TestCase):
    """One provisioned, running daemon per test class; `settings` overrides the defaults."""

    settings = {}

    @classmethod
    def setUpClass(cls):
        cls.deployment = Deployment(**cls.settings)
        try:
            cls.deployment.provision()
            cls.deployment.start()
        except BaseException:
            cls.deployment.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        d = cls.deployment
        try:
            code = d.stop()
            if code not in (None, 0):
                raise AssertionError(f"hsm2fad exit status {code} after SIGTERM:\n{d.log_tail()}")
        finally:
            d.cleanup()

    def assertError(self, response, status, code, what=""):
        """The documented error envelope {"error":{"code","message"}} with this status."""
        label = what or "response"
        self.assertEqual(response.status, status, f"{label}: status, body {response.summary()}")
        body = response.json()
        self.assertIsInstance(body, dict, f"{label}: body is not a JSON object")
        self.assertIn("error", body, f"{label}: no error envelope")
        self.assertIsInstance(body["error"], dict, f"{label}: error is not an object")
        self.assertEqual(body["error"].get("code"), code, f"{label}: error code")
        self.assertIsInstance(body["error"].get("message"), str, f"{label}: error message")

    def assertHealthy(self):
        r = self.deployment.get("/v1/health")
        self.assertEqual(r.status, 200, f"health after the test: {r.summary()}")
        self.assertEqual(r.json().get("status"), "ok")
