"""The admin CLI against a running daemon: user status, enable/disable with a reason, unlock,
and bulk changes from a CSV with bad lines (reported by line number, not fatal), with the exit
codes its --help documents."""

import json
import os
import unittest

from harness import DeploymentTestCase, user_path


class CliFlowsTest(DeploymentTestCase):
    def cli(self, *args):
        return self.deployment.cli(*args, check=False)

    def enabled(self, user):
        return self.deployment.get(user_path(user)).json()["two_factor"]["enabled"]

    def write(self, name, text):
        path = os.path.join(self.deployment.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_user_commands(self):
        p = self.cli("user", "enable", "default", "uma")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(self.enabled("uma"))
        p = self.cli("user", "disable", "default", "uma")
        self.assertEqual(p.returncode, 2, "disable without --reason is a usage error")
        p = self.cli("user", "disable", "default", "uma", "--reason", "lost phone")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(self.enabled("uma"))
        p = self.cli("user", "show", "default", "uma")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["two_factor"], {"enabled": False})
        self.assertEqual(self.cli("user", "unlock", "default", "uma").returncode, 0)
        p = self.cli("user", "show", "default", "bad id!")
        self.assertEqual(p.returncode, 1, "the daemon refuses a bad id")

    def test_bulk_csv_with_bad_lines(self):
        rows = ["user,email"] + [f"csv{i},csv{i}@example.com" for i in range(2500)]
        rows[10] = "not valid!,x@example.com"     # line 11 (was csv9)
        rows[2000] = '"quoted user",y@example.com'  # line 2001: a space
        rows.insert(500, "")                        # a blank line is skipped
        rows.insert(501, "# a comment")
        path = self.write("users.csv", "\n".join(rows) + "\n")
        p = self.cli("bulk", "enable", "default", path)
        self.assertEqual(p.returncode, 4, f"some lines failed: {p.stderr[-500:]}")
        self.assertIn("2498 users enabled, 2 lines failed", p.stdout)
        self.assertIn("line 11:", p.stderr)
        self.assertIn("line 2003:", p.stderr)  # after the two inserted lines
        self.assertIn("users sent", p.stderr, "periodic progress when stderr is not a terminal")
        for user in ("csv0", "csv8", "csv10", "csv1998", "csv2000", "csv2499"):
            self.assertTrue(self.enabled(user), user)

    def test_bulk_ids_file_disable(self):
        path = self.write("ids.txt", "ann\nben\ncid\n")
        self.assertEqual(self.cli("bulk", "enable", "default", path).returncode, 0)
        p = self.cli("bulk", "disable", "default", path)
        self.assertEqual(p.returncode, 2, "disable without --reason")
        p = self.cli("bulk", "disable", "default", path, "--reason", "offboarding")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("3 users disabled, 0 lines failed", p.stdout)
        self.assertFalse(self.enabled("ben"))

    def test_enroll_writes_an_svg_qr_code(self):
        path = os.path.join(self.deployment.tmp, "pairing.svg")
        p = self.cli("totp", "enroll", "default", "vera", "--svg", path)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600, "the image holds the secret")
        with open(path) as f:
            svg = f.read()
        self.assertTrue(svg.startswith("<?xml") and "<svg" in svg and "h1v1h-1z" in svg)
        p = self.cli("totp", "enroll", "default", "vera", "--svg", path)
        self.assertEqual(p.returncode, 2, "an existing file is never overwritten")

    def test_help_for_every_command(self):
        for group in ("user", "bulk", "totp", "token", "health"):
            p = self.cli(group, "--help")
            self.assertEqual(p.returncode, 0, group)
            self.assertIn("usage:", p.stdout, group)
        self.assertIn("4 bulk", self.cli("--help").stdout)


if __name__ == "__main__":
    unittest.main()
