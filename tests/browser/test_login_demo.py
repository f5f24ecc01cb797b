"""The typical login, end to end in headless Chromium: the login demo (examples/login-demo) in front
of a real hsm2fad. Each scenario uses its own user, so they do not depend on one another.

Screenshots of the Code screen and the preferences screen go to the artifacts directory
($HSM2FA_BROWSER_ARTIFACTS, default BUILD/browser-artifacts).
"""

import os
import re
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

from world import World, artifacts_dir, read_qr, require_browser

from harness import enroll_active, user_path  # noqa: E402 (world puts it on the path)
from smtp_sink import code_in  # noqa: E402
from totp import Totp, wait_for_margin  # noqa: E402

WORLD = None


def setUpModule():
    global WORLD
    require_browser()
    WORLD = World()
    try:
        WORLD.start()
    except BaseException:
        WORLD.stop()
        raise


def tearDownModule():
    if WORLD is not None:
        WORLD.stop()


class LoginDemo(unittest.TestCase):
    def setUp(self):
        self.world = WORLD
        self.driver = WORLD.driver
        self.driver.delete_all_cookies()
        self.daemon = WORLD.deployment

    # --- browser helpers ------------------------------------------------------------------------
    def by(self, css):
        from selenium.webdriver.common.by import By
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def screen(self):
        """The screen shown, read in one script call (no element that a navigation makes stale)."""
        return self.driver.execute_script(
            "const m = document.querySelector('main'); return m ? m.dataset.screen : null;")

    def wait_until(self, predicate, timeout, what):
        from selenium.common.exceptions import TimeoutException, WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait
        started = time.monotonic()
        try:
            # Mid-navigation the page may have no <main> yet or a stale one: ask again.
            WebDriverWait(self.driver, timeout, poll_frequency=0.05,
                          ignored_exceptions=(WebDriverException,)).until(lambda d: predicate())
        except TimeoutException:
            raise AssertionError(f"{what} within {timeout} s (waited "
                                 f"{time.monotonic() - started:.2f} s); the page is "
                                 f"'{self.screen()}': {self.by('main').text[:300]!r}") from None

    def click(self, css):
        """Clicks what loads a new page, and waits for that page."""
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import WebDriverWait
        old = self.by("main")
        self.by(css).click()
        WebDriverWait(self.driver, 15).until(expected_conditions.staleness_of(old))

    def message(self):
        element = self.by("#message")
        return element.text if element.is_displayed() else ""

    def login(self, name):
        self.driver.get(self.world.url + "/login")
        self.by("#name").send_keys(name)
        self.by("#password").send_keys(self.world.passwords[name])
        self.click("#sign-in")

    def type_code(self, code):
        field = self.by("#code")
        field.clear()
        field.send_keys(code)
        self.click("#verify")

    def logout(self):
        self.click("#logout")
        self.assertEqual(self.screen(), "login", "logging out leads to the sign-in form")

    def screenshot(self, name):
        path = os.path.join(artifacts_dir(), name)
        self.assertTrue(self.driver.save_screenshot(path), f"screenshot {name}")

    def scan_pairing_qr(self):
        """The otpauth:// URI in the QR image as shown (a screenshot of the element, not the
        data: URL behind it), split into its label and parameters. Neither the URI nor the secret
        in it ever appears in an assertion message."""
        qr = self.by("#pairing-qr")
        self.wait_until(lambda: self.driver.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth > 0;", qr), 10,
            "the QR image is decoded by the browser")
        uri = read_qr(qr.screenshot_as_png, self.daemon.tmp)
        self.assertIsNotNone(uri, "zbarimg reads a QR code in the image")
        parts = urllib.parse.urlsplit(uri)
        self.assertTrue(parts.scheme == "otpauth" and parts.netloc == "totp",
                        "the QR code holds an otpauth://totp/ URI")
        try:
            params = urllib.parse.parse_qs(parts.query, strict_parsing=True)
        except ValueError:
            self.fail("the otpauth URI's query does not parse")
        self.assertTrue(all(len(v) == 1 for v in params.values()), "no parameter twice")
        return (urllib.parse.unquote(parts.path.removeprefix("/")),
                {k: v[0] for k, v in params.items()})

    def enable(self, name):
        r = self.daemon.request("PUT", user_path(name, "/two-factor"), {"enabled": True})
        self.assertEqual(r.status, 200, r.summary())

    # --- the five scenarios of the login ----------------------------------------------------
    def test_1_admin_enables_2fa_and_the_user_pairs_an_authenticator(self):
        self.world.add_user("admin1", admin=True)
        self.world.add_user("paula")
        self.login("admin1")
        self.driver.get(self.world.url + "/admin")
        self.assertEqual(self.screen(), "admin")
        self.click("#enable-paula")
        self.assertIn("on for paula", self.by("#notice").text)
        self.assertEqual(self.daemon.get(user_path("paula")).json()["two_factor"]["enabled"], True)
        self.logout()

        self.login("paula")
        self.assertEqual(self.screen(), "preferences", "nothing paired yet: straight to pairing")
        self.assertEqual(self.by("#totp-state").text, "not paired")
        self.assertFalse(self.by("#pairing").is_displayed(), "the code is hidden until asked for")
        self.by("#show-pairing").click()
        self.wait_until(lambda: self.by("#pairing-secret").text, 10, "the pairing code shows")
        secret = self.by("#pairing-secret").text
        # assertTrue, not assertRegex: a failure must not print the secret.
        self.assertTrue(re.fullmatch(r"[A-Z2-7]{16,}", secret), "a base32 code without padding")
        qr = self.by("#pairing-qr")
        self.assertTrue(qr.is_displayed(), "the QR image shows")
        self.assertGreater(qr.size["width"], 100, "the QR image is drawn")
        self.screenshot("preferences-screen.png")

        # What an authenticator app scanning the screen would get.
        label, params = self.scan_pairing_qr()
        self.assertTrue(params.get("secret") == secret, "the QR's secret is the code on the page")
        self.assertEqual(label, "Login Demo:paula", "the label names the issuer and the account")
        self.assertEqual(params.get("issuer"), "Login Demo")
        self.assertEqual({k: params.get(k) for k in ("algorithm", "digits", "period")},
                         {"algorithm": "SHA1", "digits": "6", "period": "30"})

        wait_for_margin(5)
        # The test's own RFC 6238, from the secret the QR code carries.
        generator = Totp(params["secret"])
        self.by("#confirm-code").send_keys(generator.code(generator.step()))
        self.click("#confirm")
        self.assertIn("paired", self.by("#notice").text)
        self.assertEqual(self.by("#totp-state").text, "paired")
        self.assertEqual(self.daemon.get(user_path("paula")).json()["methods"]["totp"], "active")
        self.logout()
        self.login("paula")
        self.assertEqual(self.screen(), "code", "from now on the password leads to the Code screen")

    def test_2_authenticator_code_signs_in_once(self):
        self.world.add_user("tom")
        generator, _ = enroll_active(self, self.daemon, "tom")
        self.enable("tom")
        wait_for_margin(10)
        code = generator.code(generator.step())
        self.login("tom")
        self.assertEqual(self.screen(), "code")
        self.type_code(code)
        self.assertEqual(self.screen(), "start")
        self.assertIn("Welcome, tom", self.by("#welcome").text)
        self.logout()

        self.login("tom")
        self.type_code(code)
        self.assertEqual(self.screen(), "code", "a used code does not sign in")
        self.assertIn("already used", self.message())
        self.driver.get(self.world.url + "/")
        self.assertEqual(self.screen(), "login", "still signed out")

    def test_3_phone_approval_moves_the_page_and_a_denial_keeps_out(self):
        self.world.add_user("pia", email="pia@example.com")
        self.enable("pia")
        key = os.path.join(self.daemon.tmp, "pia-phone.json")
        registered = self.world.phone("--key", key, "register", "pia")
        self.assertEqual(registered.returncode, 0, registered.stderr)

        self.login("pia")
        self.assertEqual(self.screen(), "code")
        self.assertIn("sent a request to your phone", self.by("#push-status").text)
        self.assertTrue(self.by("#send-new-code").is_displayed())
        self.screenshot("code-screen.png")
        approved = self.world.phone("--key", key, "approve", "--wait", "10")
        self.assertEqual(approved.returncode, 0, approved.stderr)
        self.assertIn("approved", approved.stdout)
        # No click: the page's long poll takes it to the start screen.
        self.wait_until(lambda: self.screen() == "start", 2, "the start screen")
        self.assertIn("Welcome, pia", self.by("#welcome").text)
        self.logout()

        self.login("pia")
        self.assertEqual(self.screen(), "code")
        denied = self.world.phone("--key", key, "deny", "--wait", "10")
        self.assertEqual(denied.returncode, 0, denied.stderr)
        self.wait_until(lambda: "denied" in self.by("#push-status").text, 5, "the denial shows")
        time.sleep(0.5)
        self.assertEqual(self.screen(), "code", "a denial does not sign in")
        self.driver.get(self.world.url + "/")
        self.assertEqual(self.screen(), "login", "a denial keeps the user out")

    def test_4_send_new_code_by_email(self):
        self.world.add_user("emil", email="emil@example.com")
        self.enable("emil")
        self.login("emil")
        self.assertEqual(self.screen(), "code")
        before = self.world.sink.count()
        self.click("#send-new-code")
        self.assertIn("e***@example.com", self.by("#notice").text)
        _, rcpt, message = self.world.sink.wait_message(before)
        self.assertEqual(rcpt, ["emil@example.com"])
        older = code_in(message)
        time.sleep(1.2)  # the configured resend cool-down (1 s)
        self.click("#send-new-code")
        _, _, message = self.world.sink.wait_message(before + 1)
        newer = code_in(message)

        if older != newer:
            self.type_code(older)
            self.assertEqual(self.screen(), "code", "the older code does not sign in")
            self.assertRegex(self.message(), "not right|expired")
        self.type_code(newer)
        self.assertEqual(self.screen(), "start")
        self.assertIn("Welcome, emil", self.by("#welcome").text)
        self.logout()

    def test_5_wrong_codes_lead_to_the_back_off_message(self):
        self.world.add_user("walt")
        generator, _ = enroll_active(self, self.daemon, "walt")
        self.enable("walt")
        self.login("walt")
        for attempt in range(1, 5):
            self.type_code(generator.wrong_code())
            self.assertIn("not right", self.message(), f"wrong code #{attempt}")
        self.type_code(generator.wrong_code())
        text = self.message()
        found = re.search(r"Too many attempts, wait (\d+) s", text)
        self.assertIsNotNone(found, f"wrong code #5 shows the back-off: {text!r}")
        self.assertTrue(1 <= int(found.group(1)) <= 30, f"Retry-After in seconds: {text!r}")
        # While backing off, even the right code is not evaluated.
        self.type_code(generator.code(generator.step()))
        self.assertIn("Too many attempts", self.message())
        self.assertEqual(self.screen(), "code")

    # --- around the login -------------------------------------------------------------------
    def test_bulk_enable_from_the_admin_page(self):
        self.world.add_user("admin2", admin=True)
        self.world.add_user("bulk.one")
        self.world.add_user("bulk.two")
        self.login("admin2")
        self.driver.get(self.world.url + "/admin")
        for name in ("bulk.one", "bulk.two"):
            self.by(f'input[name=users][value="{name}"]').click()
        self.click("#bulk-enable")
        self.assertIn("on for 2 users", self.by("#notice").text)
        for name in ("bulk.one", "bulk.two"):
            view = self.daemon.get(user_path(name)).json()
            self.assertTrue(view["two_factor"]["enabled"], name)

    def test_forms_need_the_session_csrf_token(self):
        self.world.add_user("carl")
        data = f"name=carl&password={self.world.passwords['carl']}".encode()
        request = urllib.request.Request(self.world.url + "/login", data=data, method="POST")
        with self.assertRaises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        self.assertEqual(refused.exception.code, 403)
        self.login("carl")
        self.assertEqual(self.screen(), "start")
        cookie = self.driver.get_cookie("demo_session")
        self.assertTrue(cookie["httpOnly"], "the session cookie is HttpOnly")
        self.assertEqual(cookie["sameSite"], "Strict")

    def test_z_no_daemon_means_no_sign_in(self):
        # Last (alphabetically): it stops hsm2fad under the demo, then starts it again.
        self.world.add_user("dora")
        self.enable("dora")
        self.daemon.stop_ok(self)
        try:
            self.login("dora")
            self.assertEqual(self.screen(), "login", "the demo fails closed")
            self.assertIn("Second factor temporarily unavailable", self.message())
        finally:
            self.daemon.start()
        self.login("dora")
        self.assertEqual(self.screen(), "preferences", "back once hsm2fad is")


if __name__ == "__main__":
    unittest.main()
