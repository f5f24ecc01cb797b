"""The core TOTP flow over the real daemon, in both custody modes (API.md "TOTP for
authenticator apps", "Verification")."""

import datetime
import glob
import os
import re
import time
import unittest
import urllib.parse

from harness import DeploymentTestCase, enroll_active, user_path
from totp import Totp, decode_secret, wait_for_margin

BASE32_NO_PADDING = re.compile(r"^[A-Z2-7]+$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_rfc3339(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


class FlowMixin:
    def check_enrollment_body(self, body, user, algorithm="SHA1", digits=6, period=30):
        self.assertEqual(set(body), {"state", "secret", "otpauth_uri", "expires_at"},
                         "enrollment body fields")
        self.assertEqual(body["state"], "pending")
        # Assertions that touch the secret never echo it: assertTrue with a message of our own.
        self.assertTrue(BASE32_NO_PADDING.match(body["secret"]), "secret: base32 without padding")
        seed_len = {"SHA1": 20, "SHA256": 32, "SHA512": 64}[algorithm]
        self.assertEqual(len(decode_secret(body["secret"])), seed_len, "seed at digest length")

        uri = urllib.parse.urlsplit(body["otpauth_uri"])
        self.assertEqual((uri.scheme, uri.netloc), ("otpauth", "totp"), "otpauth URI kind")
        self.assertEqual(urllib.parse.unquote(uri.path), f"/Example Co:{user}",
                         "otpauth label is <Issuer>:<user>")
        query = urllib.parse.parse_qs(uri.query, strict_parsing=True)
        self.assertTrue(query.get("secret") == [body["secret"]], "otpauth secret parameter")
        self.assertEqual(query.get("issuer"), ["Example Co"], "otpauth issuer parameter")
        self.assertEqual(query.get("algorithm"), [algorithm])
        self.assertEqual(query.get("digits"), [str(digits)])
        self.assertEqual(query.get("period"), [str(period)])

        self.assertRegex(body["expires_at"], RFC3339, "expires_at is RFC 3339")
        expires = parse_rfc3339(body["expires_at"]).timestamp()
        self.assertAlmostEqual(expires, time.time() + 600, delta=60,
                               msg="expires_at is now + pending_ttl_seconds")

    def test_full_flow(self):
        d, user = self.deployment, "alice"
        r = d.get(user_path(user))
        self.assertEqual(r.status, 200, r.summary())
        self.assertEqual(r.json()["methods"]["totp"], "none", "an unknown user has nothing on")

        r = d.post(user_path(user, "/totp"), {})
        self.assertEqual(r.status, 201, f"enroll: {r.summary()}")
        enrolled = r.json()
        self.check_enrollment_body(enrolled, user)

        r = d.get(user_path(user, "/totp/pairing"))
        self.assertEqual(r.status, 200, f"pairing while pending: {r.summary()}")
        pairing = r.json()
        self.check_enrollment_body(pairing, user)
        self.assertTrue(pairing["secret"] == enrolled["secret"], "pairing exports the same seed")

        self.assertEqual(d.get(user_path(user)).json()["methods"]["totp"], "pending")

        generator = Totp(enrolled["secret"])
        wait_for_margin(5)
        step = generator.step()
        r = d.post(user_path(user, "/totp/confirm"), {"code": generator.wrong_code()})
        self.assertEqual(r.status, 200, f"confirm with a wrong code: {r.summary()}")
        self.assertEqual(r.json(), {"valid": False, "state": "pending"})

        r = d.post(user_path(user, "/totp/confirm"), {"code": generator.code(step)})
        self.assertEqual(r.status, 200, f"confirm: {r.summary()}")
        self.assertEqual(r.json(), {"valid": True, "state": "active"})

        self.assertError(d.get(user_path(user, "/totp/pairing")), 403, "export_locked",
                         "pairing after confirmation")

        r = d.post(user_path(user, "/verify"), {"code": generator.code(step + 1)})
        self.assertEqual(r.status, 200, f"verify: {r.summary()}")
        self.assertEqual(r.json(), {"valid": True, "method": "totp"})

        r = d.get(user_path(user))
        self.assertEqual(r.status, 200)
        view = r.json()
        self.assertEqual(view["tenant"], "default")
        self.assertEqual(view["user"], user)
        self.assertEqual(view["methods"]["totp"], "active")
        self.assertIsNone(view["locked_until"])

        self.assertError(d.post(user_path(user, "/totp"), {}), 409, "conflict",
                         "enroll while active without replace")
        self.assert_no_secret_at_rest(enrolled["secret"])

    def test_sha256_eight_digits(self):
        d, user = self.deployment, "bob.256"
        r = d.post(user_path(user, "/totp"), {"algorithm": "SHA256", "digits": 8, "period": 30})
        self.assertEqual(r.status, 201, f"enroll SHA256/8: {r.summary()}")
        self.check_enrollment_body(r.json(), user, algorithm="SHA256", digits=8)
        generator = Totp(r.json()["secret"], digits=8, algorithm="SHA256")
        wait_for_margin(5)
        step = generator.step()
        r = d.post(user_path(user, "/totp/confirm"), {"code": generator.code(step)})
        self.assertEqual(r.json(), {"valid": True, "state": "active"}, "confirm SHA256/8")
        r = d.post(user_path(user, "/verify"), {"code": generator.code(step + 1)})
        self.assertEqual(r.json(), {"valid": True, "method": "totp"}, "verify SHA256/8")
        self.assertError(d.post(user_path(user, "/verify"), {"code": generator.code(step + 1)[:6]}),
                         400, "invalid_request", "6 digits for an 8-digit credential")

    def test_delete_then_not_enrolled(self):
        d, user = self.deployment, "carol"
        generator, step = enroll_active(self, d, user)
        r = d.request("DELETE", user_path(user, "/totp"))
        self.assertEqual(r.status, 204, f"delete: {r.summary()}")
        r = d.post(user_path(user, "/verify"), {"code": generator.code(step + 1)})
        self.assertEqual(r.status, 200, r.summary())
        self.assertEqual(r.json(), {"valid": False, "reason": "not_enrolled"})

    def assert_no_secret_at_rest(self, secret_b32):
        """The pairing code must not appear in the log, database or audit files."""
        raw = decode_secret(secret_b32)
        tokendir = self.deployment.tokendir
        for path in glob.glob(os.path.join(self.deployment.tmp, "**"), recursive=True):
            if path.startswith(tokendir) or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                data = f.read()
            name = os.path.basename(path)
            self.assertFalse(secret_b32.encode() in data, f"pairing code found in {name}")
            self.assertFalse(raw in data, f"raw seed found in {name}")
            self.assertFalse(raw.hex().encode() in data, f"hex seed found in {name}")
            if name not in ("user.pin", "so.pin"):
                self.assertFalse(self.deployment.user_pin.encode() in data, f"user PIN in {name}")


class WrappedCustodyFlow(FlowMixin, DeploymentTestCase):
    settings = {"custody": "wrapped"}


class TokenCustodyFlow(FlowMixin, DeploymentTestCase):
    settings = {"custody": "token"}


if __name__ == "__main__":
    unittest.main()
