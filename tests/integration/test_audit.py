"""The sealed audit log in the running daemon (DESIGN.md "Audit", src/audit/README.md).

- An audit directory that stops being writable under the daemon (the directory replaced by a
  file: root ignores permission bits, a path component that is a file it cannot ignore) turns
  verify, enroll and admin changes into 503 audit_unavailable, and nothing changes: once the
  directory is back, the refused code still verifies, the user is still enabled, the refused
  enrollment does not exist, and the chain is intact.
- `hsm2fa audit verify` over the daemon's files exits 0, with the token (seals) and offline
  (chain and checkpoints with `--pubkey`, no config at all); after one line is edited, a line
  removed or two lines swapped it exits non-zero naming the file and line.
- A checkpoint checks with the stock `openssl` command line alone.
"""

import base64
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import DeploymentTestCase, enroll_active, user_path
from totp import wait_for_margin

AUDIT_TOML = """
[audit]
dir = "audit"
instance = "it-1"
checkpoint_lines = 4
"""


def audit_lines(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8").splitlines()


class AuditTestCase(DeploymentTestCase):
    settings = {"extra_toml": AUDIT_TOML}

    @property
    def audit_dir(self):
        return os.path.join(self.deployment.tmp, "audit")

    def audit_files(self):
        names = sorted(n for n in os.listdir(self.audit_dir)
                       if n.startswith("audit") and n.endswith(".jsonl"))
        return [os.path.join(self.audit_dir, n) for n in names]

    def events(self):
        out = []
        for path in self.audit_files():
            out += [json.loads(line) for line in audit_lines(path)]
        return out

    def verify_cli(self, *files, config=True, extra=()):
        d = self.deployment
        if config:
            return d.cli("audit", "verify", *files, *extra, check=False)
        return subprocess.run([d.cli_bin, "audit", "verify", *files, *extra], env=d.env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=60, cwd=d.tmp)


class UnwritableAuditLog(AuditTestCase):
    def make_unwritable(self):
        os.rename(self.audit_dir, self.audit_dir + ".moved")
        with open(self.audit_dir, "w") as f:
            f.write("a file where the audit directory was\n")

    def restore(self):
        os.remove(self.audit_dir)
        os.rename(self.audit_dir + ".moved", self.audit_dir)

    def test_verify_enroll_and_admin_changes_are_refused_and_change_nothing(self):
        d, user = self.deployment, "audited"
        generator, _ = enroll_active(self, d, user)
        for who in (user, "other"):
            r = d.request("PUT", user_path(who, "/two-factor"), {"enabled": True})
            self.assertEqual(r.status, 200, r.summary())
        wait_for_margin(5)
        code = generator.code(generator.step())
        lines_before = len(self.events())

        self.make_unwritable()
        try:
            r = d.post(user_path(user, "/verify"), {"code": code})
            self.assertError(r, 503, "audit_unavailable", "verify with no audit log")
            r = d.request("PUT", user_path(user, "/two-factor"),
                          {"enabled": False, "reason": "audit test"})
            self.assertError(r, 503, "audit_unavailable", "disable with no audit log")
            r = d.post(user_path(user, "/unlock"))
            self.assertError(r, 503, "audit_unavailable", "unlock with no audit log")
            r = d.post("/v1/tenants/default/two-factor/bulk",
                       {"users": [user, "other"], "enabled": False, "reason": "audit test"})
            self.assertError(r, 503, "audit_unavailable", "bulk disable with no audit log")
            r = d.post(user_path("newcomer", "/totp"), {})
            self.assertError(r, 503, "audit_unavailable", "enroll with no audit log")
            r = d.request("DELETE", user_path(user, "/totp"))
            self.assertError(r, 503, "audit_unavailable", "delete with no audit log")
        finally:
            self.restore()

        r = d.get(user_path(user))
        self.assertEqual(r.status, 200, r.summary())
        self.assertEqual(r.json()["two_factor"], {"enabled": True}, "the disable did not happen")
        self.assertEqual(r.json()["methods"]["totp"], "active", "the delete did not happen")
        r = d.get(user_path("newcomer"))
        self.assertEqual(r.json()["methods"]["totp"], "none", "the enrollment did not happen")
        r = d.get(user_path("other"))
        self.assertEqual(r.json()["two_factor"], {"enabled": True}, "the bulk did not happen")
        r = d.post(user_path(user, "/verify"), {"code": code})
        self.assertEqual(r.json(), {"valid": True, "method": "totp"},
                         "the refused code was not consumed")

        written = [e for e in self.events()[lines_before:] if e["type"] != "checkpoint"]
        self.assertEqual([(e["type"], e["action"], e["outcome"]) for e in written],
                         [("event", "verify", "valid")],
                         "nothing was written for the refused requests, nothing recovered")
        self.assertEqual(self.verify_cli().returncode, 0, "the chain stayed intact")


class AuditVerifyCommand(AuditTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = cls.deployment
        for i in range(3):
            enroll_active(unittest.TestCase(), d, f"user{i}")
            d.post(user_path(f"user{i}", "/verify"), {"code": "000000"})
        # A stop writes the final checkpoint; the files are then still.
        code = d.stop()
        assert code == 0, d.log_tail()
        cls.pubkey = os.path.join(d.tmp, "audit-pub.pem")
        with open(cls.pubkey, "w") as f:
            f.write(d.cli("audit", "pubkey").stdout)

    def tampered_copy(self, change):
        """A copy of the log's files with `change(lines)` applied to the newest one."""
        copy = tempfile.mkdtemp(prefix="hsm2fa-audit-copy-")
        self.addCleanup(shutil.rmtree, copy, True)
        files = []
        for path in self.audit_files():
            target = os.path.join(copy, os.path.basename(path))
            shutil.copyfile(path, target)
            files.append(target)
        lines = audit_lines(files[-1])
        change(lines)
        with open(files[-1], "w") as f:
            f.write("".join(line + "\n" for line in lines))
        return files

    def test_untouched_files_verify_with_token_and_offline(self):
        self.assertEqual(self.events()[-1]["type"], "checkpoint", "a final checkpoint at stop")
        r = self.verify_cli()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("seals are not checked", r.stderr)
        r = self.verify_cli(*self.audit_files(), config=False, extra=("--pubkey", self.pubkey))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("seals are not checked", r.stderr, "offline: said what it could not check")

    def test_each_tampering_is_named_with_its_line(self):
        def edit(lines):
            lines[2] = lines[2].replace('"user":"user', '"user":"mallory', 1)

        def remove(lines):
            del lines[3]

        def swap(lines):
            lines[2], lines[3] = lines[3], lines[2]

        def truncate(lines):
            lines[-1] = lines[-1][: len(lines[-1]) // 2]

        for name, change, line in (("edit", edit, 3), ("remove", remove, 4),
                                   ("swap", swap, 3), ("truncate", truncate, None)):
            with self.subTest(name):
                files = self.tampered_copy(change)
                r = self.verify_cli(*files, extra=("--pubkey", self.pubkey))
                self.assertNotEqual(r.returncode, 0, f"{name}: {r.stdout}")
                where = os.path.basename(files[-1])
                if line is None:
                    line = len(audit_lines(files[-1]))
                self.assertIn(f"{where}:{line}:", r.stdout, f"{name}: {r.stdout}")

    def test_forged_checkpoint_is_named(self):
        def forge(lines):
            for i, text in enumerate(lines):
                o = json.loads(text)
                if o["type"] == "checkpoint":
                    sig = bytearray(base64.b64decode(o["sig"]))
                    sig[-1] ^= 1
                    lines[i] = text.replace(o["sig"], base64.b64encode(bytes(sig)).decode())
                    forge.line = i + 1
                    return
            raise AssertionError("no checkpoint in the newest file")

        files = self.tampered_copy(forge)
        # Offline: only the signature can catch a forged checkpoint whose chain is rebuilt.
        r = self.verify_cli(*files, config=False, extra=("--pubkey", self.pubkey))
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertIn(f"{os.path.basename(files[-1])}:{forge.line}:", r.stdout)

    def test_openssl_alone_checks_a_checkpoint(self):
        checkpoints = [e for e in self.events() if e["type"] == "checkpoint"]
        self.assertTrue(checkpoints, "the log has checkpoints")
        last = checkpoints[-1]
        work = tempfile.mkdtemp(prefix="hsm2fa-openssl-")
        self.addCleanup(shutil.rmtree, work, True)
        msg, sig = os.path.join(work, "msg"), os.path.join(work, "sig.der")
        with open(msg, "w") as f:
            f.write(f"hsm2fa-audit-checkpoint-v1\n{last['seq']}\n{last['ts']}\n"
                    f"{last['chain_head']}\n")
        with open(sig, "wb") as f:
            f.write(base64.b64decode(last["sig"]))
        r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", self.pubkey,
                            "-signature", sig, msg], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Verified OK", r.stdout)
        with open(msg, "a") as f:
            f.write("x")
        r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", self.pubkey,
                            "-signature", sig, msg], capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0, "a changed message does not verify")


if __name__ == "__main__":
    unittest.main()
