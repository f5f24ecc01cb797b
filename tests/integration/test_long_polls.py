"""1,000 browsers long-polling one challenge cost memory, not threads: the daemon's thread count
(/proc/<pid>/status) is the same before and while they wait, and all of them return "approved"
when the phone answers."""

import json
import selectors
import socket
import time
import unittest

from harness import DeploymentTestCase, user_path
from phone import Phone

WAITERS = 1000


def threads_of(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise AssertionError("no Threads line")


class LongPollTest(DeploymentTestCase):
    def test_thousand_waiting_browsers_add_no_threads(self):
        d = self.deployment
        phone = Phone()
        r = d.post(user_path("zoe", "/devices"), {"name": "p", "public_key": phone.pem})
        self.assertEqual(r.status, 201, r.summary())
        phone.device_id = r.json()["device_id"]
        r = d.post(user_path("zoe", "/challenges"), {"origin": "pro.example.net"})
        self.assertEqual(r.status, 201, r.summary())
        challenge_id = r.json()["challenge_id"]
        pid = d.process.pid
        before = threads_of(pid)

        request = (f"GET /v1/challenges/{challenge_id}?wait=60 HTTP/1.1\r\n"
                   "Host: localhost\r\nConnection: close\r\n\r\n").encode()
        sel = selectors.DefaultSelector()
        socks = []
        try:
            for _ in range(WAITERS):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(d.socket)
                s.sendall(request)
                s.setblocking(False)
                socks.append(s)
                sel.register(s, selectors.EVENT_READ, bytearray())
            time.sleep(2.5)  # every poll has been read, handled once and is waiting
            during = threads_of(pid)
            print(f"\ndaemon threads: {before} before, {during} with {WAITERS} long polls waiting")
            self.assertEqual(during, before, "long polls must not take threads")
            early = [k for k, _ in sel.select(timeout=0)]
            self.assertEqual(early, [], "no poll returned while the challenge is pending")

            r = d.get(f"/v1/devices/{phone.device_id}/challenges")
            challenge = r.json()["challenges"][0]
            r = d.post(f"/v1/challenges/{challenge_id}/response",
                       phone.answer(challenge, "approve"))
            self.assertEqual(r.status, 200, r.summary())

            done = 0
            deadline = time.monotonic() + 30
            while done < WAITERS and time.monotonic() < deadline:
                for key, _ in sel.select(timeout=1):
                    chunk = key.fileobj.recv(4096)
                    if chunk:
                        key.data.extend(chunk)
                        continue
                    sel.unregister(key.fileobj)
                    done += 1
                    head, _, body = bytes(key.data).partition(b"\r\n\r\n")
                    self.assertTrue(head.startswith(b"HTTP/1.1 200"), head[:40])
                    self.assertEqual(json.loads(body), {"state": "approved", "method": "push"})
            self.assertEqual(done, WAITERS, "every waiting browser saw the approval")
        finally:
            sel.close()
            for s in socks:
                s.close()


if __name__ == "__main__":
    unittest.main()
