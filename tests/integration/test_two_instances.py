"""Two hsm2fad instances on one PostgreSQL database and one token (wrapped custody), each on its
own socket (README.md "Running several instances"): one truth about replay, one failure count,
push challenges answered on either instance.

The database is a throw-away cluster started here with tests/unit/store/pg_cluster.sh; without
the PostgreSQL server binaries the module skips, or fails when CI is set."""

import json
import os
import tempfile
import threading
import time
import unittest

from harness import Deployment, enroll_active, render_config, user_path
from httpclient import send
from phone import Phone
from postgres_cluster import PgCluster, use_postgres

ROUNDS = 500
USERS = 300  # a user's window (previous, current, next step) serves about two rounds per step
FREE, MAX_FAILURES, LOCK_SECONDS = 2, 7, 60

PUSH_TOML = """
[push]
challenge_ttl_seconds = 120
number_matching = false
max_challenges_per_minute = 5
"""

LOGIN = {"origin": "pro.example.net", "ip": "192.0.2.10", "user_agent": "Mozilla/5.0 (test)"}


def second_instance(first, url):
    """Another daemon on its own socket and directory (config, log, audit), with the same
    token (SOFTHSM2_CONF, label, PIN file) and the same database as `first`."""
    peer = Deployment.__new__(Deployment)
    peer.__dict__.update(first.__dict__)
    peer.tmp = tempfile.mkdtemp(prefix="hsm2fa-it-b-")
    os.chmod(peer.tmp, 0o755)
    peer.socket = os.path.join(peer.tmp, "hsm2fa.sock")
    peer.config = os.path.join(peer.tmp, "hsm2fa.toml")
    peer.log_path = os.path.join(peer.tmp, "hsm2fad.log")
    peer.process = None
    text = render_config(first.tmp, first.label, first.settings)
    text = text.replace(f'unix_socket = "{first.tmp}/hsm2fa.sock"',
                        f'unix_socket = "{peer.socket}"')
    with open(peer.config, "w") as f:
        f.write(text.replace(f"sqlite:{first.tmp}/", f"sqlite:{peer.tmp}/"))
    use_postgres(peer, url, "b")
    return peer


class TwoInstances(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = PgCluster()
        cls.a = cls.b = None
        try:
            cls.a = Deployment(custody="wrapped", free_failures=FREE, base_ms=1000,
                               max_wait_ms=1000, max_failures=MAX_FAILURES,
                               lock_seconds=LOCK_SECONDS, extra_toml=PUSH_TOML)
            use_postgres(cls.a, cls.cluster.url, "a")
            cls.b = second_instance(cls.a, cls.cluster.url)
            cls.a.provision()
            cls.a.start()
            cls.b.start()
        except BaseException:
            cls.cleanup()
            raise

    @classmethod
    def cleanup(cls):
        for d in (cls.b, cls.a):
            if d is not None:
                d.cleanup()
        cls.cluster.remove()

    @classmethod
    def tearDownClass(cls):
        try:
            for d in (cls.a, cls.b):
                code = d.stop()
                if code not in (None, 0):
                    raise AssertionError(f"hsm2fad exit status {code}:\n{d.log_tail()}")
        finally:
            cls.cleanup()

    def assertError(self, response, status, code, what):
        self.assertEqual(response.status, status, f"{what}: {response.summary()}")
        self.assertEqual(response.json()["error"]["code"], code, what)

    # --- one code, two instances -------------------------------------------------------------
    def race(self, user, code):
        """The same verify sent to A and B at the same moment; the two responses."""
        path = user_path(user, "/verify")
        barrier = threading.Barrier(2)
        results = [None, None]

        def worker(slot, deployment):
            conn = deployment.connection()
            try:
                conn.connect()
                barrier.wait(timeout=10)
                results[slot] = send(conn, "POST", path, {"code": code})
            except Exception as e:  # reported by the main thread
                results[slot] = e
            finally:
                conn.close()

        threads = [threading.Thread(target=worker, args=(i, d))
                   for i, d in enumerate((self.a, self.b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        return results

    def test_a_code_sent_to_both_instances_is_valid_once(self):
        users = []
        for i in range(USERS):
            # Enrolled on either instance: the credential is the database's, not the instance's.
            generator, step = enroll_active(self, (self.a, self.b)[i % 2], f"race{i}")
            users.append({"name": f"race{i}", "totp": generator, "last": step})

        def next_code():
            for user in users:
                gen = user["totp"]
                step = max(user["last"] + 1, gen.step(time.time() + 2) - 1)
                if step <= gen.step() + 1:
                    user["last"] = step
                    return user["name"], gen.code(step)
            return None, None

        winners = {"a": 0, "b": 0}
        for round_no in range(ROUNDS):
            user, code = next_code()
            while user is None:  # every user spent its window: wait for the next step
                time.sleep(1)
                user, code = next_code()
            results = self.race(user, code)
            for r in results:
                self.assertNotIsInstance(r, Exception, f"round {round_no}: request failed: {r!r}")
                self.assertEqual(r.status, 200, f"round {round_no}: {r.summary()}")
            bodies = [r.json() for r in results]
            self.assertEqual(sorted(bodies, key=lambda b: not b.get("valid")),
                             [{"valid": True, "method": "totp"},
                              {"valid": False, "reason": "replayed"}],
                             f"round {round_no}: answers of A and B to one code: "
                             f"{json.dumps(bodies)}")
            winners["a" if bodies[0].get("valid") else "b"] += 1
        self.assertEqual(winners["a"] + winners["b"], ROUNDS)
        print(f"\n{ROUNDS} rounds, accepted by A {winners['a']} times, by B {winners['b']} times")

    # --- failures add up ----------------------------------------------------------------------
    def test_failures_on_both_instances_lock_at_the_same_total(self):
        user = "spread.failures"
        generator, _ = enroll_active(self, self.a, user)
        instances = (self.a, self.b)
        failures = 0
        while failures < MAX_FAILURES:
            for d in instances:
                self.assertIsNone(d.get(user_path(user)).json().get("locked_until"),
                                  f"locked after {failures} failures, before {MAX_FAILURES}")
            d = instances[failures % 2]
            r = d.post(user_path(user, "/verify"), {"code": generator.wrong_code()})
            if r.status == 429:  # the back-off after the free failures, on whichever instance
                self.assertError(r, 429, "rate_limited", f"failure #{failures + 1}")
                time.sleep(int(r.headers["Retry-After"]) + 0.2)
                continue
            self.assertEqual(r.status, 200, f"wrong code #{failures + 1}: {r.summary()}")
            self.assertEqual(r.json(), {"valid": False, "reason": "wrong_code"})
            failures += 1
        for d in instances:
            self.assertIsInstance(d.get(user_path(user)).json().get("locked_until"), str,
                                  f"locked after {MAX_FAILURES} failures spread over A and B")
            r = d.post(user_path(user, "/verify"), {"code": generator.code(generator.step())})
            self.assertError(r, 429, "rate_limited", "a correct code while locked")

    # --- push across instances ----------------------------------------------------------------
    def test_push_created_on_a_approved_via_b_wakes_a_long_poll(self):
        phone = Phone()
        r = self.a.post(user_path("pusher", "/devices"),
                        {"name": "test phone", "public_key": phone.pem})
        self.assertEqual(r.status, 201, f"register on A: {r.summary()}")
        phone.device_id = r.json()["device_id"]
        r = self.a.post(user_path("pusher", "/challenges"), LOGIN)
        self.assertEqual(r.status, 201, f"challenge on A: {r.summary()}")
        challenge_id = r.json()["challenge_id"]

        r = self.b.get(f"/v1/devices/{phone.device_id}/challenges?wait=0")
        self.assertEqual(r.status, 200, f"device view on B: {r.summary()}")
        seen = [c for c in r.json()["challenges"] if c["challenge_id"] == challenge_id]
        self.assertEqual(len(seen), 1, "B shows the device the challenge created on A")

        browser = {}

        def browser_poll():
            try:
                browser["response"] = self.a.get(f"/v1/challenges/{challenge_id}?wait=30",
                                                 timeout=45)
            except Exception as e:  # reported by the main thread
                browser["response"] = e

        waiter = threading.Thread(target=browser_poll)
        waiter.start()
        time.sleep(0.5)
        self.assertTrue(waiter.is_alive(), "A's long poll waits while the challenge is pending")
        r = self.b.post(f"/v1/challenges/{challenge_id}/response",
                        phone.answer(seen[0], "approve"))
        self.assertEqual(r.status, 200, f"signed response on B: {r.summary()}")
        self.assertEqual(r.json(), {"state": "approved"})
        waiter.join(40)
        self.assertFalse(waiter.is_alive(), "A's long poll returned")
        response = browser["response"]
        self.assertNotIsInstance(response, Exception, f"A's long poll failed: {response!r}")
        self.assertEqual(response.status, 200, response.summary())
        self.assertEqual(response.json(), {"state": "approved", "method": "push"})
        # Answered once, on either instance.
        r = self.a.post(f"/v1/challenges/{challenge_id}/response",
                        phone.answer(seen[0], "approve"))
        self.assertError(r, 409, "conflict", "the same response replayed on A")


if __name__ == "__main__":
    unittest.main()
