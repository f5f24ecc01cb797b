"""Email codes over the socket (API.md "Email codes"), with a real SMTP server on loopback:
the code in the message verifies once; a new code kills the previous one; a resend before the
cool-down is 429; an expired code is `expired`; a relay that is down is 502 with no live code;
delivery "caller" puts the code in the answer."""

import time
import unittest

from harness import DeploymentTestCase, user_path
from smtp_sink import SmtpSink, code_in

SINK = SmtpSink()


def email_toml(port):
    return f"""
[email]
enabled = true
delivery = "smtp"
digits = 6
ttl_seconds = 600
max_attempts = 3
resend_seconds = 2

[email.smtp]
url = "smtp://127.0.0.1:{port}"
from = "login@example.com"
starttls = "opportunistic"
timeout_seconds = 5

[tenants.short]
issuer = "Short Lived"
[tenants.short.email]
ttl_seconds = 5
resend_seconds = 0

[tenants.backend]
issuer = "Backend Co"
[tenants.backend.email]
delivery = "caller"
digits = 8

[tenants.off]
[tenants.off.email]
enabled = false
"""


def setUpModule():
    SINK.start()


def tearDownModule():
    SINK.stop()


class EmailTest(DeploymentTestCase):
    settings = {"extra_toml": email_toml(SINK.port)}

    def send(self, user, tenant="default", address="someone@example.com"):
        return self.deployment.post(user_path(user, "/email-code", tenant), {"email": address})

    def receive(self, user, tenant="default", address="someone@example.com"):
        before = SINK.count()
        r = self.send(user, tenant, address)
        self.assertEqual(r.status, 202, f"email-code: {r.summary()}")
        body = r.json()
        self.assertEqual(body["delivery"], "smtp")
        self.assertNotIn("code", body, "an SMTP delivery never returns the code")
        mail_from, rcpt, message = SINK.wait_message(before)
        self.assertEqual(rcpt, [address])
        self.assertEqual(mail_from, "login@example.com")
        return code_in(message), message

    def verify(self, user, code, tenant="default"):
        r = self.deployment.post(user_path(user, "/verify", tenant), {"code": code})
        self.assertEqual(r.status, 200, f"verify: {r.summary()}")
        return r.json()

    def test_code_from_the_message_verifies_once(self):
        code, message = self.receive("alice")
        self.assertIn("Example Co", message["Subject"], "the subject names the tenant's issuer")
        view = self.deployment.get(user_path("alice")).json()
        self.assertTrue(view["methods"]["email"], "a live code shows in the user view")
        self.assertEqual(self.verify("alice", code), {"valid": True, "method": "email"})
        second = self.verify("alice", code)
        self.assertFalse(second["valid"], "a code is used once")
        self.assertFalse(self.deployment.get(user_path("alice")).json()["methods"]["email"])

    def test_send_new_code_kills_the_previous_one_and_resend_has_a_cooldown(self):
        first, _ = self.receive("bob")
        r = self.send("bob")
        self.assertError(r, 429, "rate_limited", "resend inside the cool-down")
        self.assertIsNotNone(r.headers.get("Retry-After"))
        self.assertGreaterEqual(r.json()["error"]["retry_after"], 1)
        time.sleep(2.1)
        second, _ = self.receive("bob")
        if first == second:
            self.skipTest("the two random codes happen to be equal")
        result = self.verify("bob", first)
        self.assertFalse(result["valid"], "the previous code is dead")
        self.assertEqual(self.verify("bob", second), {"valid": True, "method": "email"})

    def test_expired_code_is_expired(self):
        code, _ = self.receive("carol", tenant="short")
        time.sleep(5.5)
        self.assertEqual(self.verify("carol", code, tenant="short"),
                         {"valid": False, "reason": "expired"})

    def test_wrong_codes_use_up_the_attempts(self):
        code, _ = self.receive("erin")
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(3):
            self.assertEqual(self.verify("erin", wrong)["reason"], "wrong_code")
        self.assertFalse(self.verify("erin", code)["valid"], "three wrong tries kill the code")

    def test_relay_down_is_502_and_leaves_no_live_code(self):
        SINK.stop()
        try:
            r = self.send("dave")
            self.assertError(r, 502, "delivery_failed", "relay down")
        finally:
            SINK.start()
        view = self.deployment.get(user_path("dave")).json()
        self.assertFalse(view["methods"]["email"], "no live code after a failed send")
        # No cool-down was started either: the next send works at once.
        self.receive("dave")

    def test_caller_delivery_returns_the_code(self):
        before = SINK.count()
        r = self.send("frank", tenant="backend")
        self.assertEqual(r.status, 202, r.summary())
        body = r.json()
        self.assertEqual(body["delivery"], "caller")
        self.assertTrue(body["code"].isdigit() and len(body["code"]) == 8, "an 8-digit code")
        self.assertEqual(SINK.count(), before, "nothing was mailed")
        self.assertEqual(self.verify("frank", body["code"], tenant="backend"),
                         {"valid": True, "method": "email"})

    def test_refusals(self):
        self.assertError(self.send("gina", tenant="off"), 409, "conflict", "email off")
        self.assertError(self.send("gina", address="not-an-address"), 400, "invalid_request")
        self.assertError(self.send("gina", address="a@b\r\nBcc: x@y"), 400, "invalid_request")
        r = self.deployment.post(user_path("gina", "/email-code"), {})
        self.assertError(r, 400, "invalid_request", "no email field")


if __name__ == "__main__":
    unittest.main()
