"""Health, metrics and the README's curl promise (API.md "Transport", "Health and metrics")."""

import json
import subprocess
import unittest

from harness import DeploymentTestCase, enroll_active, user_path


class Health(DeploymentTestCase):
    def test_health_body(self):
        r = self.deployment.get("/v1/health")
        self.assertEqual(r.status, 200, r.summary())
        body = r.json()
        self.assertEqual((body.get("status"), body.get("hsm"), body.get("store")),
                         ("ok", "up", "up"))
        self.assertIsInstance(body.get("version"), str)
        self.assertTrue(r.headers.get("Content-Type", "").startswith("application/json"))

    def test_curl_over_the_unix_socket(self):
        proc = subprocess.run(["curl", "--silent", "--show-error", "--max-time", "10",
                               "--unix-socket", self.deployment.socket,
                               "--write-out", "\n%{http_code}", "http://localhost/v1/health"],
                              capture_output=True, text=True, timeout=20)
        self.assertEqual(proc.returncode, 0, f"curl: {proc.stderr.strip()}")
        body, _, status = proc.stdout.rpartition("\n")
        self.assertEqual(status, "200")
        self.assertEqual(json.loads(body).get("status"), "ok")

    def test_metrics_name_no_user(self):
        user = "metrics.user.7d1f"
        generator, step = enroll_active(self, self.deployment, user)
        self.deployment.post(user_path(user, "/verify"), {"code": generator.code(step + 1)})
        r = self.deployment.get("/metrics")
        self.assertEqual(r.status, 200, r.summary())
        self.assertTrue(r.headers.get("Content-Type", "").startswith("text/plain"),
                        "Prometheus text format")
        self.assertIn("# TYPE ", r.text)
        self.assertNotIn(user, r.text, "a user id in the metrics")


if __name__ == "__main__":
    unittest.main()
