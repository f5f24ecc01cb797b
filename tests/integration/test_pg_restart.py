"""PostgreSQL stopped and started again under a verify load through one hsm2fad (issue 8,
"Failure behaviour"): while the database is down verifies answer 503 `store_unavailable` and
never `valid`; outside the outage nothing fails; every code acknowledged as valid is `replayed`
afterwards (fsync and synchronous_commit on: nothing acknowledged is lost); the same daemon
process serves again without a restart.

The database is a throw-away cluster started here with tests/unit/store/pg_cluster.sh; without
the PostgreSQL server binaries the module skips, or fails when CI is set."""

import threading
import time
import unittest

from harness import Deployment, enroll_active, user_path
from postgres_cluster import PgCluster, use_postgres

USERS = 250  # each offers its current and next step: about 500 fresh codes per 30 s
CLIENTS = 4
PAUSE = 0.05  # between one client's requests: a steady load that does not drain the codes
PHASE = 3.0  # seconds of load before the outage, during it and after it


class Codes:
    """One client's fresh codes: its own users' current and next steps, each handed out once and
    in order (a user's later step accepted first would make its earlier one a replay). A code
    picked at step s stays verifiable until step s + 2 begins (window 1), at least 30 s later;
    the whole test runs well within that, so the replay check reaches every one."""

    def __init__(self, users):
        self.users = users

    def take(self):
        for user in self.users:
            gen = user["totp"]
            step = max(user["last"] + 1, gen.step())
            if step <= gen.step() + 1:
                user["last"] = step
                return user["name"], step, gen.code(step)
        return None


class PostgresRestart(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cluster = PgCluster()
        cls.deployment = None
        try:
            cls.deployment = Deployment(custody="wrapped")
            use_postgres(cls.deployment, cls.cluster.url, "restart")
            cls.deployment.provision()
            cls.deployment.start()
        except BaseException:
            cls.cleanup()
            raise

    @classmethod
    def cleanup(cls):
        if cls.deployment is not None:
            cls.deployment.cleanup()
        cls.cluster.remove()

    @classmethod
    def tearDownClass(cls):
        try:
            code = cls.deployment.stop()
            if code not in (None, 0):
                raise AssertionError(f"hsm2fad exit status {code}:\n"
                                     f"{cls.deployment.log_tail()}")
        finally:
            cls.cleanup()

    def client(self, codes, stop, log):
        """Verifies fresh codes until `stop`; a code answered 503 is sent again (it was not
        acknowledged) until it gets an answer. Appends (code record, sent, answered, status,
        body or error code) to `log`."""
        d = self.deployment
        pending = None
        while not stop.is_set():
            pending = pending or codes.take()
            if pending is None:
                time.sleep(0.2)
                continue
            user, step, code = pending
            sent = time.monotonic()
            try:
                r = d.post(user_path(user, "/verify"), {"code": code}, timeout=30)
                status, body = r.status, r.json()
            except Exception as e:  # recorded; the main thread fails the test on it
                status, body = None, repr(e)
            log.append({"user": user, "step": step, "code": code, "sent": sent,
                        "answered": time.monotonic(), "status": status, "body": body})
            if status != 503:
                pending = None
            time.sleep(PAUSE)

    def test_restart_under_load(self):
        d = self.deployment
        pid = d.process.pid
        users = []
        for i in range(USERS):
            generator, step = enroll_active(self, d, f"load{i}")
            users.append({"name": f"load{i}", "totp": generator, "last": step})
        stop, log = threading.Event(), []
        clients = [threading.Thread(target=self.client,
                                    args=(Codes(users[i::CLIENTS]), stop, log))
                   for i in range(CLIENTS)]
        for t in clients:
            t.start()
        try:
            time.sleep(PHASE)
            down_begin = time.monotonic()
            self.cluster.run("down")
            down_end = time.monotonic()
            time.sleep(PHASE)
            up_begin = time.monotonic()
            self.cluster.run("up")
            up_end = time.monotonic()
            time.sleep(PHASE)
        finally:
            stop.set()
            for t in clients:
                t.join(60)

        answered_503 = set()
        valid = []
        counts = {"before": 0, "outage": 0, "after": 0}
        for e in log:
            what = f"verify sent {e['sent'] - down_begin:+.2f} s from the outage: {e['body']}"
            self.assertIn(e["status"], (200, 503), what)
            if e["status"] == 503:
                self.assertEqual(e["body"]["error"]["code"], "store_unavailable", what)
                # Only requests that overlapped the outage fail.
                self.assertGreater(e["answered"], down_begin, f"503 before the outage: {what}")
                self.assertLess(e["sent"], up_end, f"503 after the database was back: {what}")
                answered_503.add(e["code"] + e["user"])
                counts["outage"] += 1
                continue
            if e["body"] == {"valid": True, "method": "totp"}:
                self.assertFalse(down_end < e["sent"] and e["answered"] < up_begin,
                                 f"valid while the database was down: {what}")
                valid.append(e)
                counts["before" if e["answered"] < down_begin else "after"] += 1
            else:
                # Only a code whose earlier attempt got 503 may have been recorded already.
                self.assertEqual(e["body"], {"valid": False, "reason": "replayed"}, what)
                self.assertIn(e["code"] + e["user"], answered_503, what)
        print(f"\n{len(log)} verifies: {counts['before']} valid before the outage, "
              f"{counts['outage']} answered 503 during it ({up_begin - down_end:.1f} s down), "
              f"{counts['after']} valid after it")
        self.assertGreater(counts["before"], 0, "the load ran before the outage")
        self.assertGreater(counts["outage"], 0, "the outage was seen")
        self.assertGreater(counts["after"], 0, "verifies succeed again after the restart")

        # Nothing acknowledged was lost: every accepted code is a replay now, on the same process.
        self.assertEqual(d.process.pid, pid)
        self.assertIsNone(d.process.poll(), "the daemon kept running")
        for e in valid:
            r = d.post(user_path(e["user"], "/verify"), {"code": e["code"]})
            self.assertEqual(r.status, 200, r.summary())
            self.assertEqual(r.json(), {"valid": False, "reason": "replayed"},
                             f"a code acknowledged {e['answered'] - down_begin:+.2f} s from the "
                             "outage, verified again")
        r = d.get("/v1/health")
        self.assertEqual(r.status, 200, f"health after the restart: {r.summary()}")


if __name__ == "__main__":
    unittest.main()
