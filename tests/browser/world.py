"""The world of the browser tests: a real hsm2fad on a throw-away SoftHSM2 token (the integration
harness), an SMTP sink, the login demo (examples/login-demo) on a loopback port, and headless
Chromium driven by Selenium.

Skips the module (ctest's SKIP_REGULAR_EXPRESSION) when Chromium, its driver, Selenium or zbarimg
is not installed, except under CI, where that is a failure: CI installs them
(scripts/install-deps.sh).
"""

import importlib.util
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DEMO = os.path.join(ROOT, "examples", "login-demo")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from harness import Deployment, build_dir  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402

CHROMIUM = os.environ.get("HSM2FA_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HSM2FA_CHROMEDRIVER", "/usr/bin/chromedriver")
ZBARIMG = os.environ.get("HSM2FA_ZBARIMG", "/usr/bin/zbarimg")  # zbar-tools: reads the QR image
PYTHON = "/usr/bin/python3"

# After 4 free failures the next code waits 30 s: "five wrong codes" meet the back-off.
THROTTLE = {"free_failures": 4, "base_ms": 30000, "max_wait_ms": 60000, "max_failures": 20,
            "lock_seconds": 60}


def require_browser():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER, ZBARIMG) if not os.access(p, os.X_OK)]
    if importlib.util.find_spec("selenium") is None:
        missing.append("python3-selenium")
    if missing:
        reason = "not installed: " + ", ".join(missing)
        if os.environ.get("CI"):
            raise AssertionError(reason)
        print(f"hsm2fa-browser-skipped: {reason}", file=sys.stderr)
        raise unittest.SkipTest(reason)


def daemon_toml(smtp_port):
    return f"""
[email]
enabled = true
delivery = "smtp"
digits = 6
ttl_seconds = 600
max_attempts = 3
resend_seconds = 1

[email.smtp]
url = "smtp://127.0.0.1:{smtp_port}"
from = "login@example.com"
starttls = "off"
timeout_seconds = 5

[push]
challenge_ttl_seconds = 120
number_matching = false
max_challenges_per_minute = 20
"""


def read_qr(png, workdir):
    """The text of the QR code in a PNG picture, read by zbarimg as a phone's camera would, or
    None when it finds none. The picture holds a pairing secret: it goes to a private file that is
    removed at once, and nothing zbarimg read is ever part of an error message."""
    with tempfile.NamedTemporaryFile(dir=workdir, suffix=".png") as picture:
        picture.write(png)
        picture.flush()
        read = subprocess.run([ZBARIMG, "--raw", "-q", picture.name], capture_output=True,
                              timeout=30)
    if read.returncode == 4:  # zbarimg: the picture holds no code it can read
        return None
    if read.returncode != 0:
        raise AssertionError(f"zbarimg exited {read.returncode}: "
                             f"{read.stderr.decode(errors='replace')[:300]}")
    return read.stdout.decode().rstrip("\n")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def artifacts_dir():
    path = os.environ.get("HSM2FA_BROWSER_ARTIFACTS") or os.path.join(build_dir(),
                                                                       "browser-artifacts")
    os.makedirs(path, exist_ok=True)
    return path


class World:
    def __init__(self):
        self.sink = SmtpSink()
        self.deployment = None
        self.demo = None
        self.driver = None
        self.passwords = {}

    def start(self):
        self.sink.start()
        self.deployment = Deployment(extra_toml=daemon_toml(self.sink.port), issuer="Login Demo",
                                     **THROTTLE)
        self.deployment.provision()
        self.deployment.start()
        self.state = os.path.join(self.deployment.tmp, "demo")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.demo_log = open(os.path.join(self.deployment.tmp, "login-demo.log"), "ab")
        self.demo = subprocess.Popen(
            [PYTHON, os.path.join(DEMO, "server.py"), "serve", "--socket", self.deployment.socket,
             "--state", self.state, "--listen", f"127.0.0.1:{self.port}", "--origin",
             "demo.example"], stdin=subprocess.DEVNULL, stdout=self.demo_log,
            stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
        self._wait_for_demo()
        self.driver = self._browser()

    def _wait_for_demo(self, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.demo.poll() is not None:
                raise AssertionError(f"the login demo exited {self.demo.returncode}")
            try:
                with urllib.request.urlopen(self.url + "/login", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the login demo did not answer")

    def _browser(self):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1000,1000", "--password-store=basic"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
        driver.set_page_load_timeout(30)
        return driver

    def add_user(self, name, email="", admin=False):
        """An account of the demo with a fresh password (through stdin, never argv)."""
        password = secrets.token_urlsafe(12)
        args = [PYTHON, os.path.join(DEMO, "server.py"), "add-user", name, "--state", self.state]
        if email:
            args += ["--email", email]
        if admin:
            args.append("--admin")
        subprocess.run(args, input=password + "\n", text=True, check=True, capture_output=True,
                       timeout=30)
        self.passwords[name] = password
        return password

    def phone(self, *args, timeout=60):
        return subprocess.run([PYTHON, os.path.join(DEMO, "phone"), "--socket",
                               self.deployment.socket, *args], capture_output=True, text=True,
                              timeout=timeout)

    def stop(self):
        if self.driver is not None:
            self.driver.quit()
        if self.demo is not None:
            self.demo.terminate()
            try:
                self.demo.wait(10)
            except subprocess.TimeoutExpired:
                self.demo.kill()
                self.demo.wait()
            self.demo_log.close()
        if self.deployment is not None:
            self.deployment.stop()
            self.deployment.cleanup()
        self.sink.stop()
