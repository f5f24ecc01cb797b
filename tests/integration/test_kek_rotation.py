"""Online KEK rotation (kek_rotation = "trusted", SoftHSM2 with allow_public_kek): thousands of
active wrapped users, `hsm2fa token rotate-kek --destroy-old` while a client keeps verifying.
Every right code is accepted throughout, every wrong one refused, every blob ends under the new
KEK, the old KEK is destroyed, verification still works, and a pending enrollment made before
the rotation is confirmed after it.

HSM2FA_ROTATION_USERS sets the number of users (default 10,000).
"""

import concurrent.futures
import json
import os
import subprocess
import threading
import time
import unittest

from harness import Deployment, DeploymentTestCase, user_path
from totp import Totp

USERS = int(os.environ.get("HSM2FA_ROTATION_USERS", "10000"))
ROTATING = {"hsm_toml": 'kek_rotation = "trusted"\nallow_public_kek = true'}


def enroll(deployment, user):
    """Enrolls and confirms one user over the API; (its Totp, the step the confirmation spent).
    The current step: the previous one may leave the window while the request travels."""
    r = deployment.post(user_path(user, "/totp"), {}, timeout=60)
    if r.status != 201:
        raise AssertionError(f"enroll {user}: {r.summary()}")
    generator = Totp(r.json()["secret"])
    step = generator.step()
    r = deployment.post(user_path(user, "/totp/confirm"), {"code": generator.code(step)},
                        timeout=60)
    if r.status != 200 or r.json() != {"valid": True, "state": "active"}:
        raise AssertionError(f"confirm {user}: {r.summary()}")
    return generator, step


class Verifier(threading.Thread):
    """Verifies users round-robin with the current step's code (each user once per step), and
    every tenth time sends a wrong code to a user not verified otherwise."""

    def __init__(self, deployment, users, decoys, used):
        super().__init__(daemon=True)
        self.deployment, self.users, self.decoys = deployment, users, decoys
        self.stop = threading.Event()
        self.right = self.wrong = 0
        self.failures = []  # (what, status, body summary): never a code
        self.used = used  # user -> the last step spent (by the confirmation or here)

    def run(self):
        names = list(self.users)
        i = 0
        while not self.stop.is_set():
            if self.wrong * 10 < self.right and self.decoys:
                name, generator = self.decoys.pop()
                r = self.deployment.post(user_path(name, "/verify"),
                                         {"code": generator.wrong_code()}, timeout=60)
                self.wrong += 1
                if r.status != 200 or r.json() != {"valid": False, "reason": "wrong_code"}:
                    self.failures.append(("wrong code", r.status, r.summary()))
                continue
            name = names[i % len(names)]
            i += 1
            generator = self.users[name]
            # The confirmation used the current step: the next one is inside the window
            # (window = 1), so every user has a fresh code at once, however fast the rotation.
            step = max(generator.step(), self.used.get(name, -1) + 1)
            if step > generator.step() + 1:
                continue
            self.used[name] = step
            r = self.deployment.post(user_path(name, "/verify"), {"code": generator.code(step)},
                                     timeout=60)
            self.right += 1
            if r.status != 200 or r.json().get("valid") is not True:
                self.failures.append(("right code", r.status, r.summary()))


class KekRotationTest(DeploymentTestCase):
    settings = ROTATING

    def keys_check(self):
        proc = self.deployment.cli("keys", "check", "--json", check=False, timeout=300)
        self.assertIn(proc.returncode, (0, 1), proc.stderr[-2000:])
        return json.loads(proc.stdout)

    def test_rotation_under_load(self):
        d = self.deployment
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            names = [f"user{i:05d}" for i in range(USERS)]
            enrolled = dict(zip(names, pool.map(lambda n: enroll(d, n), names)))
        generators = {name: generator for name, (generator, _) in enrolled.items()}
        used = {name: step for name, (_, step) in enrolled.items()}
        enrolled_in = time.monotonic() - started
        # Made before the rotation, confirmed after it: pending blobs are left as they are.
        r = d.post(user_path("late-confirmer", "/totp"), {})
        self.assertEqual(r.status, 201, r.summary())
        late = Totp(r.json()["secret"])

        before = self.keys_check()
        self.assertEqual(before["blobs_by_kek"].get("hsm2fa-kek-1"), USERS)
        spare = max(10, min(200, USERS // 10))  # wrong codes go to these, one each
        decoys = list(generators.items())[-spare:]
        verified = dict(list(generators.items())[:-spare])

        verifier = Verifier(d, verified, list(decoys), used)
        verifier.start()
        time.sleep(1)
        rotation_started = time.monotonic()
        proc = d.cli("token", "rotate-kek", "--so-pin-file", os.path.join(d.tmp, "so.pin"),
                     "--destroy-old", check=False, timeout=540)
        rotated_in = time.monotonic() - rotation_started
        time.sleep(1)
        verifier.stop.set()
        verifier.join(timeout=120)
        self.assertEqual(proc.returncode, 0, f"rotate-kek: {proc.stderr[-2000:]}")
        self.assertIn("created: hsm2fa-kek-2", proc.stdout)
        self.assertIn("destroyed: hsm2fa-kek-1", proc.stdout)
        self.assertIn("re-wrapped", proc.stderr)  # the progress bar
        self.assertEqual(verifier.failures, [], "verifications failed during the rotation")
        self.assertGreater(verifier.right, 0)
        self.assertGreater(verifier.wrong, 0)

        after = self.keys_check()
        self.assertEqual(after["blobs_by_kek"].get("hsm2fa-kek-2"), USERS, after["blobs_by_kek"])
        self.assertNotIn("hsm2fa-kek-1", after["blobs_by_kek"])
        kek_labels = [k["label"] for k in after["keys"] if k["role"] == "kek"]
        self.assertEqual(kek_labels, ["hsm2fa-kek-2"])
        kek2 = next(k for k in after["keys"] if k["label"] == "hsm2fa-kek-2")
        self.assertIs(kek2["CKA_TRUSTED"], True)
        self.assertIs(kek2["CKA_EXTRACTABLE"], False)
        self.assertIs(kek2["CKA_UNWRAP_TEMPLATE"]["forces_wrap_with_trusted"], True)
        # The one finding is the announced, configured weakness: a public KEK on SoftHSM2.
        self.assertEqual(len(after["findings"]), 1, after["findings"])
        self.assertIn("public object", after["findings"][0])
        self.assertIn("weaker custody", after["findings"][0])

        # Verification works under the new KEK, for users the load never touched too.
        checked = 0
        for name, generator in decoys[:5] + list(verified.items())[:5]:
            step = max(generator.step(), used.get(name, -1) + 1)  # not spent yet
            if step > generator.step() + 1:
                continue  # the load spent this user's codes up to the window's edge
            r = d.post(user_path(name, "/verify"), {"code": generator.code(step)})
            self.assertEqual(r.json(), {"valid": True, "method": "totp"}, name)
            checked += 1
        self.assertGreaterEqual(checked, 5)  # the decoys only ever got wrong codes
        r = d.post(user_path("late-confirmer", "/totp/confirm"), {"code": late.code(late.step())})
        self.assertEqual(r.json(), {"valid": True, "state": "active"})

        metrics = d.get("/metrics").text
        self.assertIn("hsm2fa_kek_rotation_remaining 0", metrics)
        self.assertIn(f"hsm2fa_kek_rotation_done {USERS}", metrics)
        health = d.get("/v1/health").json()
        self.assertIn("allow_public_kek", health.get("custody", ""))
        progress = d.get("/v1/admin/kek-rotation").json()
        self.assertEqual((progress["state"], progress["target"], progress["done"],
                          progress["failed"]), ("done", "kek-2", USERS, 0))
        print(f"\n{USERS} users enrolled in {enrolled_in:.1f}s; rotate-kek (re-wrap + destroy) "
              f"took {rotated_in:.1f}s with {verifier.right} right and {verifier.wrong} wrong "
              f"codes verified meanwhile")

        # Survives a restart: the daemon starts on kek-2 alone.
        d.restart(self)
        name, generator = decoys[5]
        step = max(generator.step(), used.get(name, -1) + 1)
        r = d.post(user_path(name, "/verify"), {"code": generator.code(step)})
        self.assertEqual(r.json(), {"valid": True, "method": "totp"})


class RotationRefusedOnSoftHsmWithoutAcknowledgementTest(unittest.TestCase):
    def test_start_refused(self):
        d = Deployment(hsm_toml='kek_rotation = "trusted"')
        try:
            d.provision()
            with self.assertRaises(AssertionError) as refused:
                d.start()
            self.assertIn("allow_public_kek", str(refused.exception))
            proc = d.cli("token", "rotate-kek", "--so-pin-file", os.path.join(d.tmp, "so.pin"),
                         check=False)
            self.assertEqual(proc.returncode, 2, proc.stderr)
            self.assertIn("allow_public_kek", proc.stderr)
        finally:
            d.cleanup()


class RotationOffTest(DeploymentTestCase):
    def test_admin_endpoint_says_off(self):
        d = self.deployment
        self.assertEqual(d.get("/v1/admin/kek-rotation").json(), {"state": "off"})
        self.assertError(d.post("/v1/admin/kek-rotation"), 409, "conflict")
        proc = d.cli("token", "rotate-kek", "--so-pin-file", os.path.join(d.tmp, "so.pin"),
                     check=False)
        self.assertEqual(proc.returncode, 2, proc.stderr)


if __name__ == "__main__":
    unittest.main()
