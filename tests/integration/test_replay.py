"""A code accepted once is never accepted again (API.md "Verification"), including across a
daemon restart."""

import unittest

from harness import DeploymentTestCase, enroll_active, user_path
from totp import wait_for_margin


class ReplayMixin:
    def verify(self, user, code):
        r = self.deployment.post(user_path(user, "/verify"), {"code": code})
        self.assertEqual(r.status, 200, f"verify {user}: {r.summary()}")
        return r.json()

    def test_same_code_twice(self):
        generator, step = enroll_active(self, self.deployment, "replay.same")
        wait_for_margin(5)
        code = generator.code(generator.step())
        self.assertEqual(self.verify("replay.same", code), {"valid": True, "method": "totp"})
        self.assertEqual(self.verify("replay.same", code), {"valid": False, "reason": "replayed"},
                         "the same code a second time")

    def test_older_code_after_newer(self):
        # Confirmed with the previous step's code, so both the current and the next step are
        # fresh and in the window: accepting the next one first makes the current one "older".
        generator, _ = enroll_active(self, self.deployment, "replay.older")
        wait_for_margin(5)
        now = generator.step()
        self.assertEqual(self.verify("replay.older", generator.code(now + 1)),
                         {"valid": True, "method": "totp"}, "the newer in-window code")
        self.assertEqual(self.verify("replay.older", generator.code(now)),
                         {"valid": False, "reason": "replayed"},
                         "an older in-window code after a newer one")

    def test_replayed_across_restart(self):
        d = self.deployment
        generator, _ = enroll_active(self, d, "replay.restart")
        wait_for_margin(12)
        code = generator.code(generator.step())
        self.assertEqual(self.verify("replay.restart", code), {"valid": True, "method": "totp"})
        d.restart(self)
        self.assertEqual(self.verify("replay.restart", code),
                         {"valid": False, "reason": "replayed"},
                         "the accepted code after a daemon restart")
        self.assertEqual(self.verify("replay.restart", generator.code(generator.step() + 1)),
                         {"valid": True, "method": "totp"}, "a fresh code after the restart")


class WrappedCustodyReplay(ReplayMixin, DeploymentTestCase):
    settings = {"custody": "wrapped"}


class TokenCustodyReplay(ReplayMixin, DeploymentTestCase):
    settings = {"custody": "token"}


if __name__ == "__main__":
    unittest.main()
