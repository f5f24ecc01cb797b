"""Push approval over the socket (API.md "Push approval"): the test plays the phone with its own
key pair. Register, list, delete; a challenge the device's long poll sees; the browser's long
poll returning the moment the signed answer lands; wrong signature, replay, expiry, deny,
number matching and the code fallback; the per-user rate limit."""

import threading
import time
import unittest

from cryptography.hazmat.primitives.asymmetric import ec

from harness import DeploymentTestCase, enroll_active, user_path
from phone import Phone, rsa_pem

PUSH_TOML = """
[push]
challenge_ttl_seconds = 120
number_matching = false
max_challenges_per_minute = 5

[tenants.short]
[tenants.short.push]
challenge_ttl_seconds = 10

[tenants.matching]
[tenants.matching.push]
number_matching = true
"""

LOGIN = {"origin": "pro.example.net", "ip": "192.0.2.10", "user_agent": "Mozilla/5.0 (test)"}


class PushTest(DeploymentTestCase):
    settings = {"extra_toml": PUSH_TOML}

    def register(self, user, tenant="default", phone=None):
        phone = phone or Phone()
        r = self.deployment.post(user_path(user, "/devices", tenant),
                                 {"name": "test phone", "public_key": phone.pem})
        self.assertEqual(r.status, 201, f"register: {r.summary()}")
        phone.device_id = r.json()["device_id"]
        return phone

    def challenge(self, user, tenant="default"):
        r = self.deployment.post(user_path(user, "/challenges", tenant), LOGIN)
        self.assertEqual(r.status, 201, f"challenge: {r.summary()}")
        return r.json()

    def device_view(self, phone, challenge_id, wait=0):
        r = self.deployment.get(f"/v1/devices/{phone.device_id}/challenges?wait={wait}",
                                timeout=wait + 10)
        self.assertEqual(r.status, 200, r.summary())
        for c in r.json()["challenges"]:
            if c["challenge_id"] == challenge_id:
                return c
        raise AssertionError("the device does not see the challenge")

    def state(self, challenge_id, wait=0):
        r = self.deployment.get(f"/v1/challenges/{challenge_id}?wait={wait}", timeout=wait + 10)
        self.assertEqual(r.status, 200, r.summary())
        return r.json()

    def respond(self, challenge_id, body):
        return self.deployment.post(f"/v1/challenges/{challenge_id}/response", body)

    def test_devices_register_list_delete(self):
        phone = self.register("alice")
        r = self.deployment.get(user_path("alice", "/devices"))
        self.assertEqual(r.status, 200)
        self.assertEqual([d["device_id"] for d in r.json()["devices"]], [phone.device_id])
        view = self.deployment.get(user_path("alice")).json()
        self.assertEqual(view["methods"]["push_devices"], 1)
        r = self.deployment.request("DELETE", user_path("alice", f"/devices/{phone.device_id}"))
        self.assertEqual(r.status, 204)
        r = self.deployment.request("DELETE", user_path("alice", f"/devices/{phone.device_id}"))
        self.assertError(r, 404, "not_found", "deleted twice")

    def test_only_p256_keys(self):
        for label, pem in (("RSA", rsa_pem()), ("P-384", Phone(ec.SECP384R1()).pem),
                           ("garbage", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")):
            r = self.deployment.post(user_path("bob", "/devices"),
                                     {"name": "x", "public_key": pem})
            self.assertError(r, 400, "invalid_request", label)

    def test_approve_wakes_both_long_polls(self):
        phone = self.register("carol")
        seen = {}

        def device_poll():
            r = self.deployment.get(f"/v1/devices/{phone.device_id}/challenges?wait=20",
                                    timeout=30)
            seen["device"] = r.json()["challenges"]

        poller = threading.Thread(target=device_poll)
        poller.start()
        time.sleep(0.3)
        created = self.challenge("carol")
        poller.join(15)
        self.assertFalse(poller.is_alive(), "the device's long poll returned")
        self.assertEqual([c["challenge_id"] for c in seen["device"]], [created["challenge_id"]])
        challenge = seen["device"][0]
        self.assertEqual(challenge["origin"], LOGIN["origin"])
        self.assertEqual(len(challenge["nonce"]), 32, "a 128-bit nonce")

        browser = {}

        def browser_poll():
            browser["body"] = self.state(created["challenge_id"], wait=30)
            browser["at"] = time.monotonic()

        waiter = threading.Thread(target=browser_poll)
        waiter.start()
        time.sleep(0.5)
        self.assertTrue(waiter.is_alive(), "the browser's poll waits while pending")
        answered_at = time.monotonic()
        r = self.respond(created["challenge_id"], phone.answer(challenge, "approve"))
        self.assertEqual(r.status, 200, r.summary())
        self.assertEqual(r.json(), {"state": "approved"})
        waiter.join(10)
        latency = browser["at"] - answered_at
        print(f"\nbrowser long poll returned {latency * 1000:.1f} ms after the signed response "
              "was sent")
        self.assertLess(latency, 1.0)
        self.assertEqual(browser["body"], {"state": "approved", "method": "push"})

        replay = self.respond(created["challenge_id"], phone.answer(challenge, "approve"))
        self.assertError(replay, 409, "conflict", "replayed response")

    def test_wrong_signature_is_403_and_stays_pending(self):
        phone, other = self.register("dave"), Phone()
        created = self.challenge("dave")
        challenge = self.device_view(phone, created["challenge_id"])
        forged = other.answer(challenge, "approve")
        forged["device_id"] = phone.device_id
        self.assertError(self.respond(created["challenge_id"], forged), 403, "forbidden",
                         "wrong key")
        tampered = phone.answer(dict(challenge, origin="evil.example"), "approve")
        self.assertError(self.respond(created["challenge_id"], tampered), 403, "forbidden",
                         "signature over another origin")
        self.assertEqual(self.state(created["challenge_id"])["state"], "pending")

    def test_deny(self):
        phone = self.register("erin")
        created = self.challenge("erin")
        challenge = self.device_view(phone, created["challenge_id"])
        r = self.respond(created["challenge_id"], phone.answer(challenge, "deny"))
        self.assertEqual(r.json(), {"state": "denied"})
        self.assertEqual(self.state(created["challenge_id"]), {"state": "denied", "method": None})

    def test_expired_challenge_is_refused(self):
        phone = self.register("frank", tenant="short")
        created = self.challenge("frank", tenant="short")
        challenge = self.device_view(phone, created["challenge_id"])
        time.sleep(10.5)
        self.assertEqual(self.state(created["challenge_id"])["state"], "expired")
        r = self.respond(created["challenge_id"], phone.answer(challenge, "approve"))
        self.assertError(r, 409, "conflict", "answer after expiry")

    def test_number_matching(self):
        phone = self.register("gina", tenant="matching")
        created = self.challenge("gina", tenant="matching")
        self.assertIn("number", created)
        challenge = self.device_view(phone, created["challenge_id"])
        self.assertIn(created["number"], challenge["numbers"])
        self.assertEqual(len(challenge["numbers"]), 3)
        wrong = next(n for n in challenge["numbers"] if n != created["number"])
        r = self.respond(created["challenge_id"], phone.answer(challenge, "approve", wrong))
        self.assertError(r, 409, "conflict", "wrong number")
        self.assertEqual(self.state(created["challenge_id"])["state"], "denied")

        again = self.challenge("gina", tenant="matching")
        challenge = self.device_view(phone, again["challenge_id"])
        r = self.respond(again["challenge_id"],
                         phone.answer(challenge, "approve", again["number"]))
        self.assertEqual(r.json(), {"state": "approved"})

    def test_code_fallback_approves(self):
        generator, step = enroll_active(self, self.deployment, "hank")
        created = self.challenge("hank")
        r = self.deployment.post(f"/v1/challenges/{created['challenge_id']}/code",
                                 {"code": generator.code(step + 1)})
        self.assertEqual(r.status, 200, r.summary())
        self.assertEqual(r.json(), {"valid": True, "state": "approved"})
        self.assertEqual(self.state(created["challenge_id"]),
                         {"state": "approved", "method": "totp"})

    def test_challenges_are_rate_limited(self):
        for _ in range(5):
            self.challenge("ivan")
        r = self.deployment.post(user_path("ivan", "/challenges"), LOGIN)
        self.assertError(r, 429, "rate_limited", "sixth challenge in a minute")
        self.assertIsNotNone(r.headers.get("Retry-After"))

    def test_unknown_ids(self):
        self.assertError(self.deployment.get("/v1/challenges/" + "0" * 32), 404, "not_found")
        self.assertError(self.deployment.get("/v1/devices/" + "0" * 32 + "/challenges"), 404,
                         "not_found")
        self.assertError(self.deployment.get("/v1/challenges/" + "0" * 32 + "?wait=61"), 400,
                         "invalid_request")


if __name__ == "__main__":
    unittest.main()
