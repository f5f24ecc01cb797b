"""No active seed anywhere the service writes or answers (issue "What must be shown").

A full run per custody mode — enrollments, confirmations, right and wrong codes, replays, the
export lock, admin switches, health, metrics, a restart — then every file the daemon wrote (its
log, the audit files, the database with its WAL) and every HTTP response after a seed became
active is searched for each active seed the test learned from pairing, raw, as hex (both cases)
and as base32 (both cases, with and without padding). Nothing may be found.
"""

import base64
import os
import unittest

from harness import DeploymentTestCase, user_path
from totp import Totp, wait_for_margin

AUDIT_TOML = """
[audit]
dir = "audit"
checkpoint_lines = 5
"""


def encodings(seed):
    b32 = base64.b32encode(seed)
    forms = {seed, seed.hex().encode(), seed.hex().upper().encode(), b32, b32.lower(),
             b32.rstrip(b"="), b32.rstrip(b"=").lower()}
    return {form for form in forms if len(form) >= 16}


class NoSeedLeakMixin:
    def test_no_active_seed_in_logs_audit_database_or_responses(self):
        d = self.deployment
        seeds, responses = {}, []

        def keep(r):
            responses.append(r.data)
            return r

        for i in range(4):
            user = f"leak{i}"
            r = d.post(user_path(user, "/totp"), {})
            self.assertEqual(r.status, 201, r.summary())
            secret = r.json()["secret"]
            generator = Totp(secret)
            seeds[user] = base64.b32decode(secret + "=" * (-len(secret) % 8))
            # The control: the search below does find a pending seed where it must be.
            self.assertTrue(any(form in r.data for form in encodings(seeds[user])))
            wait_for_margin(3)
            step = generator.step()
            r = keep(d.post(user_path(user, "/totp/confirm"), {"code": generator.code(step - 1)}))
            self.assertEqual(r.json(), {"valid": True, "state": "active"}, "confirm")
            keep(d.post(user_path(user, "/verify"), {"code": generator.code(step)}))
            keep(d.post(user_path(user, "/verify"), {"code": generator.code(step)}))  # replay
            keep(d.post(user_path(user, "/verify"), {"code": generator.wrong_code()}))
            r = keep(d.get(user_path(user, "/totp/pairing")))
            self.assertEqual(r.status, 403, "an active seed is not exportable")
            keep(d.get(user_path(user)))
        keep(d.request("PUT", user_path("leak0", "/two-factor"),
                       {"enabled": False, "reason": "leak test"}))
        keep(d.request("PUT", user_path("leak0", "/two-factor"), {"enabled": True}))
        keep(d.post(user_path("leak1", "/unlock")))
        keep(d.get("/v1/health"))
        keep(d.get("/metrics"))
        d.restart(self)
        keep(d.get("/v1/health"))
        self.assertEqual(d.stop(), 0, d.log_tail())

        places = {"response": b"\n".join(responses)}
        for root, _, names in os.walk(d.tmp):
            if os.path.relpath(root, d.tmp).startswith("tokens"):
                continue  # the token's own store: its custody, not ours
            for name in names:
                path = os.path.join(root, name)
                if name.endswith((".db", ".db-wal", ".db-shm", ".log", ".jsonl")):
                    with open(path, "rb") as f:
                        places[os.path.relpath(path, d.tmp)] = f.read()
        self.assertTrue(any(p.endswith(".jsonl") for p in places), sorted(places))
        self.assertTrue(any(p.endswith(".db") for p in places), sorted(places))
        self.assertTrue(any(p.endswith(".log") for p in places), sorted(places))
        for user, seed in seeds.items():
            for form in encodings(seed):
                for place, data in places.items():
                    # The message names the place and the user, never the seed.
                    self.assertNotIn(form, data, f"a form of {user}'s seed found in {place}")
        d.start()  # tearDownClass stops it


class DaemonMemoryHygiene(DeploymentTestCase):
    """Seeds pass through the daemon during pairing: it makes no core dumps (RLIMIT_CORE 0 and
    PR_SET_DUMPABLE 0, the latter seen through /proc, which a non-dumpable process hands to
    root) and keeps secrets on pages excluded from dumps."""

    def test_no_core_dumps(self):
        pid = self.deployment.process.pid
        with open(f"/proc/{pid}/limits") as f:
            core = [line for line in f if line.startswith("Max core file size")]
        self.assertEqual(len(core), 1)
        self.assertEqual(core[0].split()[4:6], ["0", "0"], core[0])
        if os.geteuid() != 0:
            # Not dumpable: /proc/PID belongs to root, not to the daemon's (our) uid.
            self.assertEqual(os.stat(f"/proc/{pid}/mem").st_uid, 0)


class WrappedNoSeedLeak(NoSeedLeakMixin, DeploymentTestCase):
    settings = {"custody": "wrapped", "extra_toml": AUDIT_TOML}


class TokenNoSeedLeak(NoSeedLeakMixin, DeploymentTestCase):
    settings = {"custody": "token", "extra_toml": AUDIT_TOML}


if __name__ == "__main__":
    unittest.main()
