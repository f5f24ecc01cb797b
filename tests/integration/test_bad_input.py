"""Hostile or broken input (API.md "Transport", "Errors"): each gets its documented answer,
counts as nothing against the user, and leaves the daemon healthy."""

import json
import select
import socket
import time
import unittest

from harness import DeploymentTestCase, enroll_active, user_path
from httpclient import parse_raw_response, raw_exchange, send
from totp import wait_for_margin

READ_TIMEOUT = 2
LIMIT = 16 * 1024


def raw_request(method, path, body=b"", headers=None, content_length=None):
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", "Connection: close"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    lines.append(f"Content-Length: {len(body) if content_length is None else content_length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class BadInput(DeploymentTestCase):
    settings = {"read_timeout_seconds": READ_TIMEOUT, "free_failures": 2}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = "mallory"

    def setUp(self):
        self.addCleanup(self.assertHealthy)

    def verify_raw_body(self, body, content_type="application/json"):
        return self.deployment.post(user_path(self.user, "/verify"), body,
                                    headers={"Content-Type": content_type})

    def test_malformed_json(self):
        for body in (b'{"code": "123', b"{code: 123456}", b"", b"\xff\xfe", b'["123456"]',
                     b'"123456"', b"null"):
            with self.subTest(body=body):
                self.assertError(self.verify_raw_body(body), 400, "invalid_request",
                                 f"verify with body {body!r}")

    def test_wrong_content_type(self):
        # Not in API.md's table: a careful server answers 415 or 400, never evaluates the code.
        r = self.verify_raw_body(json.dumps({"code": "000000"}).encode(), "text/plain")
        self.assertIn(r.status, (400, 415), f"text/plain body: {r.summary()}")
        self.assertIsInstance(r.json()["error"]["code"], str)

    def test_bad_codes_are_invalid_and_count_as_nothing(self):
        generator, _ = enroll_active(self, self.deployment, "codes.user")
        bad = ["12345", "123456789", "1234567", "１２３４５６", " 123456", "123456 ", "123 456",
               "12345a", "", "+12345", "-12345", 123456, 123456.0, None, ["123456"], {"c": 1}]
        for code in bad:
            with self.subTest(code=repr(code)):
                r = self.deployment.post(user_path("codes.user", "/verify"), {"code": code})
                self.assertError(r, 400, "invalid_request", f"verify with code {code!r}")
        r = self.deployment.post(user_path("codes.user", "/verify"), {})
        self.assertError(r, 400, "invalid_request", "verify without a code")
        # 17 invalid requests with free_failures = 2: had any counted, this would be 429.
        wait_for_margin(3)
        r = self.deployment.post(user_path("codes.user", "/verify"),
                                 {"code": generator.code(generator.step())})
        self.assertEqual(r.status, 200, f"a correct code after invalid ones: {r.summary()}")
        self.assertEqual(r.json(), {"valid": True, "method": "totp"})

    def test_bad_identifiers(self):
        for user in ("al ice", "a/b", "x" * 129, "ü", "a%00b"):
            with self.subTest(user=user):
                path = user_path(user.replace(" ", "%20").replace("ü", "%C3%BC"), "/verify")
                r = self.deployment.post(path, {"code": "123456"})
                if user == "a/b":
                    self.assertIn(r.status, (400, 404), f"user {user!r}: {r.summary()}")
                else:
                    self.assertError(r, 400, "invalid_request", f"user {user!r}")

    def test_oversized_body_is_refused(self):
        body = json.dumps({"code": "123456", "pad": "x" * (LIMIT + 100)}).encode()
        data = raw_exchange(self.deployment.socket,
                            raw_request("POST", user_path(self.user, "/verify"), body,
                                        {"Content-Type": "application/json"}))
        self.assertTrue(data, "no answer to a body over 16 KiB")
        status, headers, payload = parse_raw_response(data)
        self.assertEqual(status, 413, f"body over 16 KiB: {payload[:300]!r}")
        self.assertEqual(json.loads(payload)["error"]["code"], "payload_too_large")

    def test_oversized_declared_length_is_refused_before_the_body(self):
        # Only the header arrives; the server must answer from Content-Length, not wait.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(READ_TIMEOUT + 8)
            s.connect(self.deployment.socket)
            s.sendall(raw_request("POST", user_path(self.user, "/verify"), b"",
                                  {"Content-Type": "application/json"},
                                  content_length=LIMIT + 1))
            data = s.recv(65536)
        self.assertTrue(data, "no answer to a declared length over 16 KiB")
        status, _, payload = parse_raw_response(data)
        self.assertEqual(status, 413, f"declared length over 16 KiB: {payload[:300]!r}")

    def test_unknown_routes(self):
        for method, path in (("GET", "/v1/nope"), ("GET", "/"),
                             ("POST", user_path(self.user, "/bogus")),
                             ("GET", "/v2/health")):
            with self.subTest(path=path):
                self.assertError(self.deployment.request(method, path), 404, "not_found",
                                 f"{method} {path}")

    def test_every_response_carries_no_store_and_request_id(self):
        d = self.deployment
        responses = {
            "200 health": d.get("/v1/health"),
            "200 user": d.get(user_path(self.user)),
            "201 enroll": d.post(user_path("headers.user", "/totp"), {}),
            "200 pairing": d.get(user_path("headers.user", "/totp/pairing")),
            "400 bad code": d.post(user_path(self.user, "/verify"), {"code": "1"}),
            "404 route": d.get("/v1/nope"),
        }
        ids = set()
        for what, r in responses.items():
            with self.subTest(response=what):
                self.assertEqual(r.headers.get("Cache-Control"), "no-store", what)
                request_id = r.headers.get("X-Request-Id")
                self.assertTrue(request_id, f"{what}: X-Request-Id")
                ids.add(request_id)
        self.assertEqual(len(ids), len(responses), "request ids are distinct")
        big = raw_exchange(d.socket, raw_request("POST", user_path(self.user, "/verify"), b"",
                                                 {"Content-Type": "application/json"},
                                                 content_length=LIMIT + 1),
                           timeout=READ_TIMEOUT + 8)
        self.assertTrue(big, "no answer to a declared length over 16 KiB")
        _, headers, _ = parse_raw_response(big)
        self.assertEqual(headers.get("cache-control"), "no-store", "413 response")
        self.assertTrue(headers.get("x-request-id"), "413 response: X-Request-Id")

    def test_keep_alive(self):
        conn = self.deployment.connection()
        try:
            for i in range(3):
                r = send(conn, "GET", "/v1/health")
                self.assertEqual(r.status, 200, f"request {i + 1} on one connection")
        finally:
            conn.close()

    def test_slowloris_is_cut_off(self):
        """A client trickling its header one byte at a time is closed once the read timeout
        passes, and other clients are served meanwhile."""
        head = raw_request("POST", user_path(self.user, "/verify"), b'{"code":"123456"}',
                           {"Content-Type": "application/json"})
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(self.deployment.socket)
            s.setblocking(False)
            started, sent, closed = time.monotonic(), 0, False
            limit = READ_TIMEOUT + 10  # generous: this bounds a hang, it measures nothing
            while time.monotonic() - started < limit and sent < len(head) - 1:
                readable, _, _ = select.select([s], [], [], 0.5)
                if readable:
                    try:
                        if not s.recv(65536):
                            closed = True
                            break
                    except ConnectionResetError:
                        closed = True
                        break
                    continue
                try:
                    s.send(head[sent:sent + 1])
                    sent += 1
                except (BrokenPipeError, ConnectionResetError):
                    closed = True
                    break
                if sent == 3:
                    self.assertHealthy()
        self.assertTrue(closed, f"connection still open after {limit}s of trickling "
                        f"({sent} bytes sent); read timeout is {READ_TIMEOUT}s")

    def test_stalled_body_is_cut_off(self):
        head = raw_request("POST", user_path(self.user, "/verify"), b"",
                           {"Content-Type": "application/json"}, content_length=40)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(READ_TIMEOUT + 10)
            s.connect(self.deployment.socket)
            s.sendall(head + b'{"co')
            try:
                while s.recv(65536):
                    pass
            except ConnectionResetError:
                pass
            except socket.timeout:
                self.fail(f"a stalled body kept the connection open past {READ_TIMEOUT + 10}s")

    def test_client_disconnects_mid_request(self):
        path = user_path(self.user, "/verify")
        for partial in (b"POST " + path.encode(),
                        raw_request("POST", path, b"", {"Content-Type": "application/json"},
                                    content_length=40) + b'{"co'):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(self.deployment.socket)
                s.sendall(partial)
        # A whole request whose client goes away before the answer.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(self.deployment.socket)
            s.sendall(raw_request("POST", path, b'{"code":"123456"}',
                                  {"Content-Type": "application/json"}))
        self.assertHealthy()


if __name__ == "__main__":
    unittest.main()
