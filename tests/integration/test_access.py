"""Roles from SO_PEERCRED (API.md "Who may call what"): a peer that no role lists is refused
with 403 forbidden, with or without an [access] section."""

import json
import os
import unittest

from harness import DeploymentTestCase, user_path
from httpclient import request

NOBODY = 65534


def request_as(uid, gid, socket_path, method, path, body=None):
    """The request made by a forked child running as uid/gid: (status, error code or None)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns into the test runner
        status = 1
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            r = request(socket_path, method, path, body=body, timeout=10)
            try:
                code = json.loads(r.data).get("error", {}).get("code")
            except (ValueError, AttributeError):
                code = None
            os.write(write_end, json.dumps({"status": r.status, "code": code}).encode())
            status = 0
        except BaseException as e:
            os.write(write_end, json.dumps({"exception": repr(e)}).encode())
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    result = json.loads(data or b"{}")
    if "exception" in result:
        raise AssertionError(f"child as uid {uid}: {result['exception']}")
    return result["status"], result["code"]


class AccessMixin:
    def assertForbiddenForNobody(self, method, path, body=None):
        status, code = request_as(NOBODY, NOBODY, self.deployment.socket, method, path, body)
        self.assertEqual((status, code), (403, "forbidden"), f"{method} {path} as uid {NOBODY}")

    def test_unlisted_uid_is_forbidden(self):
        if os.geteuid() != 0:
            self.skipTest("switching to another uid needs root")
        self.assertForbiddenForNobody("POST", user_path("eve", "/verify"), {"code": "123456"})
        self.assertForbiddenForNobody("GET", user_path("eve"))
        self.assertForbiddenForNobody("POST", user_path("eve", "/totp"), {})
        self.assertForbiddenForNobody("POST", user_path("eve", "/unlock"), {})

    def test_root_may_call(self):
        r = self.deployment.get(user_path("eve"))
        self.assertEqual(r.status, 200, f"GET user as root: {r.summary()}")


class AdminSectionListsOnlyRoot(AccessMixin, DeploymentTestCase):
    settings = {"socket_mode": "0666", "access": {"admin": {"uids": [0]}}}


class NoAccessSection(AccessMixin, DeploymentTestCase):
    settings = {"socket_mode": "0666", "access": None}


if __name__ == "__main__":
    unittest.main()
