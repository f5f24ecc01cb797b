"""`hsm2fa keys check`: the auditor's key report (issue "keys check").

On a healthy token, with active users, it exits 0 in both custody modes and its JSON shows every
service key with the attributes an auditor reads. After an extractable key is made directly in
the token with `pkcs11-tool` (the PIN passed as `env:VAR`, never in argv), it exits non-zero and
names the key. A tenant with export_policy "always" is reported as weaker custody.
"""

import json
import os
import shutil
import subprocess
import unittest

from harness import SOFTHSM_MODULE, DeploymentTestCase, enroll_active

ATTRIBUTES = ("CKA_SENSITIVE", "CKA_EXTRACTABLE", "CKA_ALWAYS_SENSITIVE", "CKA_NEVER_EXTRACTABLE",
              "CKA_WRAP_WITH_TRUSTED", "CKA_ALLOWED_MECHANISMS")


class KeysCheckMixin:
    def keys_check(self, *extra):
        return self.deployment.cli("keys", "check", *extra, check=False)

    def make_rogue_key(self, label, key_id):
        if shutil.which("pkcs11-tool") is None:
            self.skipTest("pkcs11-tool (opensc) is not installed")
        d = self.deployment
        env = dict(d.env, HSM2FA_IT_PIN=d.user_pin)
        r = subprocess.run(["pkcs11-tool", "--module", SOFTHSM_MODULE, "--token-label", d.label,
                            "--login", "--pin", "env:HSM2FA_IT_PIN", "--keygen",
                            "--key-type", "GENERIC:20", "--label", label, "--id", key_id,
                            "--extractable"],
                           env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, f"pkcs11-tool --keygen: {r.stderr[-500:]}")

    def test_healthy_token_passes_then_a_rogue_extractable_key_fails_it(self):
        d = self.deployment
        enroll_active(self, d, "alice")
        enroll_active(self, d, "bob")
        r = self.keys_check()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("0 finding(s)", r.stdout)

        r = self.keys_check("--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        report = json.loads(r.stdout)
        self.assertEqual(report["custody"], self.settings["custody"])
        self.assertEqual(report["missing"], [])
        self.assertEqual(report["findings"], [])
        roles = {k["role"] for k in report["keys"]}
        self.assertTrue({"kek", "pending-kek", "mac", "audit-sign", "audit-verify"} <= roles, roles)
        for key in report["keys"]:
            for attribute in ATTRIBUTES:
                self.assertIn(attribute, key, f"{key['label']}: {attribute}")
            if key["role"] in ("kek", "mac", "audit-sign"):
                self.assertIs(key["CKA_SENSITIVE"], True, key["label"])
                self.assertIs(key["CKA_EXTRACTABLE"], False, key["label"])
        if self.settings["custody"] == "token":
            active = [s for s in report["seeds"] if s["state"].startswith("active")]
            self.assertEqual(len(active), 2, report["seeds"])
            for seed in active:
                self.assertIs(seed["exportable_now"], False, seed["label"])
        else:
            wrapped = {(w["user"], w["state"], w["kek"]) for w in report["wrapped_seeds"]}
            self.assertEqual(wrapped, {("alice", "active", "hsm2fa-kek-1"),
                                       ("bob", "active", "hsm2fa-kek-1")})

        self.make_rogue_key("hsm2fa-seed-rogue", "52f9")
        r = self.keys_check()
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn("hsm2fa-seed-rogue", r.stdout)
        self.assertIn("FINDING: exportable seed", r.stdout)
        r = self.keys_check("--json")
        self.assertNotEqual(r.returncode, 0)
        findings = json.loads(r.stdout)["findings"]
        self.assertEqual(len(findings), 1, findings)
        self.assertIn("hsm2fa-seed-rogue", findings[0])

        # Any other key that could leave the token is named too, whatever its label.
        self.make_rogue_key("someone-elses-key", "52fa")
        findings = json.loads(self.keys_check("--json").stdout)["findings"]
        self.assertEqual(len(findings), 2, findings)
        self.assertTrue(any("someone-elses-key" in f for f in findings), findings)


class WrappedKeysCheck(KeysCheckMixin, DeploymentTestCase):
    settings = {"custody": "wrapped"}


class TokenKeysCheck(KeysCheckMixin, DeploymentTestCase):
    settings = {"custody": "token"}


class WeakerCustodyIsAFinding(DeploymentTestCase):
    settings = {"export_policy": "always"}

    def test_always_policy_is_reported(self):
        r = self.deployment.cli("keys", "check", "--json", check=False)
        self.assertNotEqual(r.returncode, 0)
        findings = json.loads(r.stdout)["findings"]
        self.assertTrue(any("weaker custody" in f for f in findings), findings)
        health = self.deployment.get("/v1/health").json()
        self.assertIn("weaker", json.dumps(health), "health announces weaker custody")


if __name__ == "__main__":
    unittest.main()
