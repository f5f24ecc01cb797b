"""Two verifies of one fresh code racing on two connections: exactly one is valid, the other
is `replayed` (DESIGN.md: the last accepted step is a compare-and-set)."""

import json
import threading
import time
import unittest

from harness import DeploymentTestCase, enroll_active, user_path
from httpclient import send

ROUNDS = 200
USERS = 100  # each user's window (previous, current, next step) gives it about two rounds


class ConcurrentVerify(DeploymentTestCase):
    settings = {"custody": "wrapped"}

    def setUp(self):
        self.users = []
        for i in range(USERS):
            generator, step = enroll_active(self, self.deployment, f"race{i}")
            self.users.append({"name": f"race{i}", "totp": generator, "last": step})

    def next_code(self):
        """(user, code) for a step the user has not used, valid now and two seconds from now."""
        for user in self.users:
            gen = user["totp"]
            lowest = gen.step(time.time() + 2) - 1
            highest = gen.step() + 1
            step = max(user["last"] + 1, lowest)
            if step <= highest:
                user["last"] = step
                return user["name"], gen.code(step)
        return None, None

    def race_once(self, user, code):
        path = user_path(user, "/verify")
        barrier = threading.Barrier(2)
        results = [None, None]

        def worker(slot):
            conn = self.deployment.connection()
            try:
                conn.connect()
                barrier.wait(timeout=10)
                results[slot] = send(conn, "POST", path, {"code": code})
            except Exception as e:  # reported by the main thread
                results[slot] = e
            finally:
                conn.close()

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        return results

    def test_exactly_one_of_two_concurrent_verifies_is_valid(self):
        outcomes = {"valid": 0, "replayed": 0}
        for round_no in range(ROUNDS):
            user, code = self.next_code()
            while user is None:  # every user spent its window: wait for the next step
                time.sleep(1)
                user, code = self.next_code()
            results = self.race_once(user, code)
            for r in results:
                self.assertNotIsInstance(r, Exception, f"round {round_no}: request failed: {r!r}")
                self.assertEqual(r.status, 200, f"round {round_no}: {r.summary()}")
            bodies = sorted((r.json() for r in results), key=lambda b: not b.get("valid"))
            self.assertEqual(bodies, [{"valid": True, "method": "totp"},
                                      {"valid": False, "reason": "replayed"}],
                             f"round {round_no}: answers to two concurrent verifies of one code: "
                             f"{json.dumps(bodies)}")
            outcomes["valid"] += 1
            outcomes["replayed"] += 1
        self.assertEqual(outcomes, {"valid": ROUNDS, "replayed": ROUNDS})
        self.assertHealthy()


if __name__ == "__main__":
    unittest.main()
