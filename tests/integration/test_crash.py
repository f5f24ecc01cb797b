"""Crash consistency (issue 7): clients verify and enroll without pause while the daemon is
killed with SIGKILL at random moments, at least KILLS times, and restarted each time.

Every answer the clients received is a promise the next daemon must keep (API.md, DESIGN.md):
- a code answered valid is never accepted again: per user, the steps answered valid strictly
  increase, across every restart (the replay record was durable before the answer);
- every enrollment answered 201 is still there, pending with the same seed, and every confirm
  answered valid left it active;
- the SQLite database passes PRAGMA integrity_check, after the run and at every 10th kill.
"""

import os
import random
import sqlite3
import sys
import threading
import time
import unittest

from harness import Deployment, enroll_active, user_path
from totp import Totp

# HSM2FA_CRASH_KILLS raises the count for a longer run by hand.
KILLS = int(os.environ.get("HSM2FA_CRASH_KILLS", "50"))
# A safety bound on a slow machine; the test needs ~1-2 s per kill.
DEADLINE_SECONDS = 240
VERIFY_USERS = 60
# Each daemon life is asked once per user to accept the last accepted code again: a replay
# record lost in a kill shows up right after the restart. About 25 lives per 30 s step stay
# below free_failures, so nothing is throttled.


class Ledger:
    """What the clients were told, from their side of the socket. Thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.valid_steps = {}  # user -> [steps answered valid, in answer order]
        self.enrolled = {}  # user -> (Totp, state "pending"|"active"|"unknown")
        self.answers = 0
        self.life = 0  # incremented at every restart
        self.unexpected = []  # (request, status, body summary): answers no rule allows

    def note_unexpected(self, what, response):
        with self.lock:
            self.unexpected.append((what, response.status, response.summary(200)))


def integrity_check(db_path):
    # Only while no daemon runs: the file as the killed daemon left it, with its -wal, which
    # SQLite replays on open exactly as the next daemon would.
    conn = sqlite3.connect(db_path, timeout=10)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


class CrashConsistency(unittest.TestCase):
    settings = {"free_failures": 100, "max_failures": 100, "base_ms": 100, "max_wait_ms": 200,
                "read_timeout_seconds": 5}

    @classmethod
    def setUpClass(cls):
        cls.d = Deployment(**cls.settings)
        try:
            cls.d.provision()
            cls.d.start()
        except BaseException:
            cls.d.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    # --- the two clients -------------------------------------------------------------------
    def verifier(self, generators, ledger, stop):
        replays = {}
        while not stop.is_set():
            for user, generator in generators.items():
                if stop.is_set():
                    return
                step = generator.step()
                with ledger.lock:
                    steps = ledger.valid_steps.setdefault(user, [])
                    accepted = bool(steps) and steps[-1] >= step
                    life = ledger.life
                if accepted:
                    if replays.get(user) == (step, life):
                        continue
                    replays[user] = (step, life)
                try:
                    r = self.d.post(user_path(user, "/verify"), {"code": generator.code(step)},
                                    timeout=3)
                except OSError:
                    time.sleep(0.02)  # the daemon is down: no answer, no promise
                    continue
                body = r.json() if r.status == 200 else None
                with ledger.lock:
                    ledger.answers += 1
                    if body == {"valid": True, "method": "totp"}:
                        ledger.valid_steps[user].append(step)
                        continue
                if r.status == 200 and body.get("valid") is False:
                    continue
                if r.status in (429, 503):
                    continue  # throttled, or the token/store not ready yet: not valid either
                ledger.note_unexpected("verify", r)

    def enroller(self, ledger, stop):
        n = 0
        while not stop.is_set():
            n += 1
            user = f"crash.enroll.{n}"
            try:
                r = self.d.post(user_path(user, "/totp"), {}, timeout=3)
            except OSError:
                time.sleep(0.02)
                continue
            with ledger.lock:
                ledger.answers += 1
            if r.status != 201:
                if r.status != 503:
                    ledger.note_unexpected("enroll", r)
                continue
            generator = Totp(r.json()["secret"])
            with ledger.lock:
                ledger.enrolled[user] = (generator, "pending")
            if n % 2:
                continue  # every other enrollment stays pending
            with ledger.lock:
                ledger.enrolled[user] = (generator, "unknown")  # asked, no answer yet
            try:
                r = self.d.post(user_path(user, "/totp/confirm"),
                                {"code": generator.code(generator.step())}, timeout=3)
            except OSError:
                continue
            with ledger.lock:
                ledger.answers += 1
                if r.status == 200 and r.json() == {"valid": True, "state": "active"}:
                    ledger.enrolled[user] = (generator, "active")
                elif r.status == 200 and r.json() == {"valid": False, "state": "pending"}:
                    ledger.enrolled[user] = (generator, "pending")
                elif r.status != 503:
                    ledger.unexpected.append(("confirm", r.status, r.summary(200)))

    # --- the test --------------------------------------------------------------------------
    def test_kill_minus_nine_loses_nothing(self):
        d = self.d
        generators = {}
        for i in range(VERIFY_USERS):
            user = f"crash.verify.{i}"
            generators[user], _ = enroll_active(self, d, user)

        ledger, stop = Ledger(), threading.Event()
        clients = [threading.Thread(target=self.verifier, args=(generators, ledger, stop)),
                   threading.Thread(target=self.enroller, args=(ledger, stop))]
        for t in clients:
            t.start()
        kills, rng = 0, random.Random()
        deadline = time.monotonic() + DEADLINE_SECONDS
        try:
            while kills < KILLS and time.monotonic() < deadline:
                time.sleep(rng.uniform(0.05, 0.6))
                d.process.kill()  # SIGKILL: no handler, no flush, no shutdown
                d.process.wait()
                d.process = None
                kills += 1
                if kills % 10 == 0:
                    self.assertEqual(integrity_check(os.path.join(d.tmp, "hsm2fa.db")), ["ok"],
                                     f"integrity after kill {kills}")
                d.start(timeout=20)
                with ledger.lock:
                    ledger.life += 1
        finally:
            stop.set()
            for t in clients:
                t.join(timeout=10)
        states = [state for _, state in ledger.enrolled.values()]
        print(f"crash: {kills} kills, {ledger.answers} answers, "
              f"{sum(map(len, ledger.valid_steps.values()))} codes answered valid, enrollments "
              + ", ".join(f"{states.count(s)} {s}" for s in ("pending", "active", "unknown")),
              file=sys.stderr)
        self.assertGreaterEqual(kills, KILLS, f"only {kills} kills within {DEADLINE_SECONDS}s")
        self.assertEqual(ledger.unexpected, [], "answers outside the API's rules")
        self.assertGreater(ledger.answers, KILLS, "the clients got answers between kills")

        self.assert_no_code_accepted_twice(ledger, generators)
        self.assert_enrollments_kept(ledger)

        self.assertEqual(d.stop(), 0, f"clean stop after the run:\n{d.log_tail()}")
        self.assertEqual(integrity_check(os.path.join(d.tmp, "hsm2fa.db")), ["ok"])

    def assert_no_code_accepted_twice(self, ledger, generators):
        accepted = 0
        for user, steps in ledger.valid_steps.items():
            accepted += len(steps)
            increasing = all(a < b for a, b in zip(steps, steps[1:]))
            self.assertTrue(increasing, f"{user}: a step answered valid twice or out of order "
                                        f"(steps {steps})")
            if steps:
                # The last accepted code, once more, to the last daemon.
                r = self.d.post(user_path(user, "/verify"),
                                {"code": generators[user].code(steps[-1])})
                self.assertFalse(r.status == 200 and r.json().get("valid"),
                                 f"{user}: the last accepted code accepted again")
        self.assertGreater(accepted, 0, "some codes were accepted during the run")

    def assert_enrollments_kept(self, ledger):
        self.assertGreater(len(ledger.enrolled), 0, "some enrollments were answered")
        for user, (generator, state) in ledger.enrolled.items():
            r = self.d.get(user_path(user))
            self.assertEqual(r.status, 200, f"user view of {user}: {r.summary()}")
            stored = r.json()["methods"]["totp"]
            if state == "unknown":
                self.assertIn(stored, ("pending", "active"), f"{user} after an unanswered confirm")
                continue
            self.assertEqual(stored, state, f"{user}: the state that was answered")
            if state == "pending":
                # Still the seed that was handed out: the pairing export gives it back.
                r = self.d.get(user_path(user, "/totp/pairing"))
                self.assertEqual(r.status, 200, f"pairing of pending {user}: {r.summary()}")
                self.assertEqual(Totp(r.json()["secret"]).code(0), generator.code(0),
                                 f"{user}: the pending seed changed")


if __name__ == "__main__":
    unittest.main()
