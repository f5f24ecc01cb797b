"""The 2FA switch over the socket (API.md "Users and the 2FA switch"): bulk enable/disable of
10,000 users with per-user results, disable without a reason, a time-boxed disable that turns
back on by itself, and the body limits (2 MiB for bulk only)."""

import datetime
import socket
import time
import unittest

from harness import DeploymentTestCase, user_path

BULK = "/v1/tenants/default/two-factor/bulk"


def rfc3339(unix_seconds):
    return datetime.datetime.fromtimestamp(unix_seconds, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


class AdminBulkTest(DeploymentTestCase):
    def enabled(self, user):
        r = self.deployment.get(user_path(user))
        self.assertEqual(r.status, 200, r.summary())
        return r.json()["two_factor"]["enabled"]

    def test_bulk_of_ten_thousand_with_a_few_invalid_ids(self):
        users = [f"bulk{i:05d}@example.com" for i in range(10000)]
        bad = {17: "has space", 4242: "", 9999: "x" * 129, 5000: "semi;colon"}
        for index, value in bad.items():
            users[index] = value
        started = time.monotonic()
        r = self.deployment.post(BULK, {"users": users, "enabled": True}, timeout=120)
        elapsed = time.monotonic() - started
        print(f"\nbulk enable of {len(users)} users: {elapsed:.2f} s")
        self.assertEqual(r.status, 200, r.summary())
        results = r.json()["results"]
        self.assertEqual(len(results), len(users))
        for index, (user, result) in enumerate(zip(users, results)):
            self.assertEqual(result["user"], user, f"entry {index} is in request order")
            if index in bad:
                self.assertFalse(result["ok"], f"entry {index} is reported invalid")
                self.assertEqual(result["error"]["code"], "invalid_request")
            else:
                self.assertTrue(result["ok"], f"entry {index}: {result}")
        for index in (0, 16, 18, 4241, 4243, 9998):
            self.assertTrue(self.enabled(users[index]), f"user {index} is enabled")

        # And off again, with a reason, for a slice.
        r = self.deployment.post(BULK, {"users": users[:100], "enabled": False,
                                        "reason": "offboarding"}, timeout=60)
        self.assertEqual(r.status, 200, r.summary())
        self.assertFalse(self.enabled(users[0]))
        self.assertTrue(self.enabled(users[100]))

    def test_bulk_disable_without_reason_is_400(self):
        r = self.deployment.post(BULK, {"users": ["a", "b"], "enabled": False})
        self.assertError(r, 400, "invalid_request", "bulk disable without reason")
        self.assertFalse(self.enabled("a"))

    def test_bulk_refuses_more_than_ten_thousand(self):
        r = self.deployment.post(BULK, {"users": [f"u{i}" for i in range(10001)],
                                        "enabled": True}, timeout=60)
        self.assertError(r, 400, "invalid_request", "10,001 users")

    def status_for_declared_length(self, method, path, length):
        """Sends only the header with this Content-Length: the limit answers before the body."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(self.deployment.socket)
            s.sendall(f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                      f"application/json\r\nContent-Length: {length}\r\n\r\n".encode())
            head = s.recv(4096).decode("latin-1")
        return int(head.split(" ", 2)[1])

    def test_body_limits(self):
        self.assertEqual(self.status_for_declared_length("POST", BULK, 2 * 1024 * 1024 + 1), 413,
                         "bulk over 2 MiB")
        self.assertEqual(
            self.status_for_declared_length("PUT", user_path("m", "/two-factor"), 16 * 1024 + 1),
            413, "over 16 KiB on the single switch")
        # Between the two limits, bulk takes the body whole.
        users = [f"limit{i:06d}-" + "x" * 80 for i in range(10000)]  # ~1 MB
        r = self.deployment.post(BULK, {"users": users, "enabled": True}, timeout=60)
        self.assertEqual(r.status, 200, r.summary())

    def test_disable_without_reason_is_400(self):
        r = self.deployment.request("PUT", user_path("carol", "/two-factor"), {"enabled": False})
        self.assertError(r, 400, "invalid_request", "disable without reason")

    def test_time_boxed_disable_turns_back_on(self):
        d, user = self.deployment, "dave"
        r = d.request("PUT", user_path(user, "/two-factor"), {"enabled": True})
        self.assertEqual(r.status, 200, r.summary())
        until = int(time.time()) + 3
        r = d.request("PUT", user_path(user, "/two-factor"),
                      {"enabled": False, "reason": "lost phone", "until": rfc3339(until)})
        self.assertEqual(r.status, 200, r.summary())
        self.assertFalse(r.json()["two_factor"]["enabled"])
        while time.time() < until + 0.2:
            time.sleep(0.2)
        self.assertTrue(self.enabled(user), "the disable lapsed at `until`")

    def test_unlock(self):
        r = self.deployment.post(user_path("erin", "/unlock"))
        self.assertEqual(r.status, 200, r.summary())
        self.assertIsNone(r.json()["locked_until"])


if __name__ == "__main__":
    unittest.main()
