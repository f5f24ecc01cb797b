"""The service fails closed when the token goes away under it (API.md "Errors": 503
hsm_unavailable; "Health": degraded with "hsm":"down").

How the token is broken: its directory is deleted while the daemon runs. Measured on SoftHSM2
2.6.1, a process that is logged in keeps its session, but every use of a token object fails
from then on: C_SignInit with a token key answers CKR_KEY_HANDLE_INVALID, C_UnwrapKey under the
KEK answers CKR_UNWRAPPING_KEY_HANDLE_INVALID and C_GetTokenInfo answers CKR_GENERAL_ERROR, while
C_GenerateRandom and C_OpenSession still succeed. That is what a real HSM looks like when it is
zeroised, reset or its partition is removed under a connected client: the link is up, the keys
are gone. It breaks both custody modes (the seed objects in `token`, the KEK in `wrapped`) at
the token, not in the service, so the daemon sees exactly the errors a module returns.
"""

import os
import shutil
import unittest

from harness import DeploymentTestCase, enroll_active, user_path
from totp import wait_for_margin


class FailClosedMixin:
    def break_token(self):
        for entry in os.listdir(self.deployment.tokendir):
            shutil.rmtree(os.path.join(self.deployment.tokendir, entry))

    def test_token_gone_means_503_never_valid(self):
        d, user = self.deployment, "failclosed"
        generator, _ = enroll_active(self, d, user)
        wait_for_margin(5)
        now = generator.step()
        r = d.post(user_path(user, "/verify"), {"code": generator.code(now)})
        self.assertEqual(r.json(), {"valid": True, "method": "totp"}, "verify before the break")

        self.break_token()

        r = d.post(user_path(user, "/verify"), {"code": generator.code(now + 1)})
        self.assertError(r, 503, "hsm_unavailable", "verify of a correct code with the token gone")
        r = d.post(user_path(user, "/verify"), {"code": generator.code(now + 1)})
        self.assertError(r, 503, "hsm_unavailable", "the same request again")

        r = d.get("/v1/health")
        self.assertEqual(r.status, 503, f"health with the token gone: {r.summary()}")
        health = r.json()
        self.assertEqual(health.get("status"), "degraded")
        self.assertEqual(health.get("hsm"), "down")
        self.assertEqual(health.get("store"), "up")

        r = d.post(user_path("failclosed.new", "/totp"), {})
        self.assertError(r, 503, "hsm_unavailable", "enroll with the token gone")


class WrappedCustodyFailClosed(FailClosedMixin, DeploymentTestCase):
    settings = {"custody": "wrapped"}


class TokenCustodyFailClosed(FailClosedMixin, DeploymentTestCase):
    settings = {"custody": "token"}


if __name__ == "__main__":
    unittest.main()
