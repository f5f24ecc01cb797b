"""Throttling (DESIGN.md "Verification rules"): free failures, then a wait during which no
code is evaluated, then a lock that passes with time or an admin unlock."""

import time
import unittest

from harness import DeploymentTestCase, enroll_active, user_path

FREE, MAX_FAILURES, BASE_MS, LOCK_SECONDS = 3, 6, 2000, 3


class Throttle(DeploymentTestCase):
    settings = {"free_failures": FREE, "base_ms": BASE_MS, "max_wait_ms": BASE_MS,
                "max_failures": MAX_FAILURES, "lock_seconds": LOCK_SECONDS}

    def verify(self, user, code):
        return self.deployment.post(user_path(user, "/verify"), {"code": code})

    def assertRateLimited(self, r, what, at_most):
        """429 rate_limited with Retry-After (whole seconds) and retry_after in the body; returns
        the wait in seconds."""
        self.assertError(r, 429, "rate_limited", what)
        header = r.headers.get("Retry-After")
        self.assertIsNotNone(header, f"{what}: Retry-After header")
        self.assertRegex(header, r"^\d+$", f"{what}: Retry-After is whole seconds")
        body = r.json()
        retry_after = body.get("retry_after", body["error"].get("retry_after"))
        self.assertIsInstance(retry_after, (int, float), f"{what}: retry_after in the body")
        self.assertGreaterEqual(int(header), 1, f"{what}: Retry-After")
        self.assertLessEqual(int(header), at_most, f"{what}: Retry-After")
        return max(int(header), retry_after)

    def fail(self, user, generator, times):
        """`times` evaluated wrong codes, waiting out any back-off between them."""
        failures = 0
        while failures < times:
            r = self.verify(user, generator.wrong_code())
            if r.status == 429:
                time.sleep(self.assertRateLimited(r, "back-off between failures", 10) + 0.2)
                continue
            self.assertEqual(r.status, 200, f"wrong code #{failures + 1}: {r.summary()}")
            self.assertEqual(r.json(), {"valid": False, "reason": "wrong_code"})
            failures += 1

    def test_backoff_after_free_failures(self):
        user = "throttle.backoff"
        generator, _ = enroll_active(self, self.deployment, user)
        # With window 1 the current step's code stays valid for at least one more step.
        correct = generator.code(generator.step())
        self.fail(user, generator, FREE)
        wait = self.assertRateLimited(self.verify(user, correct),
                                      "a correct code right after the free failures",
                                      at_most=BASE_MS // 1000)
        time.sleep(wait + 0.2)
        r = self.verify(user, correct)
        self.assertEqual(r.status, 200, f"the same correct code after the wait: {r.summary()}")
        self.assertEqual(r.json(), {"valid": True, "method": "totp"},
                         "the correct code was not evaluated (nor burnt) while backing off")

    def lock(self, user):
        generator, _ = enroll_active(self, self.deployment, user)
        self.fail(user, generator, MAX_FAILURES)
        r = self.verify(user, generator.code(generator.step()))
        wait = self.assertRateLimited(r, "a correct code while locked", at_most=LOCK_SECONDS)
        view = self.deployment.get(user_path(user)).json()
        self.assertIsInstance(view.get("locked_until"), str, "user view shows the lock")
        return generator, wait

    def test_lock_passes_with_time(self):
        user = "throttle.lock.time"
        generator, wait = self.lock(user)
        time.sleep(wait + 0.3)
        r = self.verify(user, generator.code(generator.step()))
        self.assertEqual(r.status, 200, f"a correct code after lock_seconds: {r.summary()}")
        self.assertEqual(r.json(), {"valid": True, "method": "totp"})

    def test_admin_unlock(self):
        user = "throttle.lock.admin"
        generator, _ = self.lock(user)
        r = self.deployment.post(user_path(user, "/unlock"), {})
        self.assertEqual(r.status, 200, f"unlock: {r.summary()}")
        view = self.deployment.get(user_path(user)).json()
        self.assertIsNone(view.get("locked_until"), "user view after unlock")
        r = self.verify(user, generator.code(generator.step()))
        self.assertEqual(r.status, 200, f"a correct code right after unlock: {r.summary()}")
        self.assertEqual(r.json(), {"valid": True, "method": "totp"})


if __name__ == "__main__":
    unittest.main()
