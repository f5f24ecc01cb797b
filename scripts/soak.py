"""The load generator behind scripts/soak.sh: a mixed, open-loop load at a fixed rate against a
throw-away daemon (the integration harness's Deployment: its own SoftHSM2 token, SQLite store and
Unix socket; nothing leaves loopback).

Mix per request (--mix): verify 70 % (a correct code for the current step; an already accepted step
answers valid:false, also a correct answer), enroll+confirm 15 %, admin 15 % (user view, the
two-factor switch, unlock, metrics). An error is anything the API does not promise for that
request: a transport failure, a 5xx, a 429 (the mix stays under the throttle by design), or a
status or body outside the contract.

The rate is --rate requests per second, or --share of the bench's maximum verify throughput read
from a bench result (--bench-json, a `scripts/bench.sh` JSON; the soak's daemon is the same wrapped,
SQLite deployment). Workers: --workers, by default enough for the rate (one per 25 req/s, at least 8).

Writes into OUT: samples.tsv (t, rss_kib, fds, requests, errors, and RSS split into anonymous,
file-backed and shared memory), latency.tsv (op, p50, p90, p99, max in ms), summary.txt,
soak.json (the same figures, machine-readable), metrics.txt (the daemon's /metrics at the
end) and soak.png (RSS and fds over time) when gnuplot
is installed. Prints the summary. Exit status 1 when there was any error.

Reading RSS: SoftHSM2 runs inside the daemon, and it keeps every session object it ever created
(SessionObjectStore's allObjects) until C_Finalize, destroyed or not: each enrollment (a generated
key, then the unwrapped copy) leaves a few hundred bytes in the module for the life of the process,
and the wrapped-mode key cache holds one unwrapped key per recently verified user up to
hsm.key_cache_size. Growth that follows the enrollment count is that; with --mix 85,0,15 (no
enrollment) RSS must be flat once every verifying user's key is cached.

For profiling: --daemon-env NAME=VALUE (repeatable; e.g. MALLOC_ARENA_MAX=2) goes into the
daemon's environment, and --daemon-wrapper "heaptrack -o OUT/heaptrack" runs the daemon under a
tool (samples then follow the hsm2fad process below the wrapper).
"""

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

from harness import Deployment, enroll_active, user_path  # noqa: E402
from httpclient import UnixHTTPConnection, send  # noqa: E402
from totp import Totp  # noqa: E402

VERIFY_USERS = 300
MIN_WORKERS = 8
RATE_PER_WORKER = 25  # a Python client thread keeps this pace with room to spare
SAMPLE_SECONDS = 5


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = {}  # op -> [seconds]
        self.requests = 0
        self.errors = 0
        self.error_kinds = {}
        self.late = 0  # slots the workers could not keep (the rate was too high)

    def record(self, op, seconds, error=None):
        with self.lock:
            self.requests += 1
            self.latencies.setdefault(op, []).append(seconds)
            if error:
                self.errors += 1
                self.error_kinds[f"{op}: {error}"] = self.error_kinds.get(f"{op}: {error}", 0) + 1


class Worker(threading.Thread):
    def __init__(self, index, workers, deployment, users, rate, until, stats, mix):
        super().__init__(daemon=True)
        self.workers = workers
        self.mix = mix  # cumulative thresholds out of 20: verify below mix[0], enroll below mix[1]
        self.index, self.d, self.users = index, deployment, users
        self.interval = workers / rate
        self.until, self.stats = until, stats
        self.conn = None
        self.n = 0
        self.admin_calls = 0

    def call(self, op, method, path, body=None):
        started = time.monotonic()
        try:
            if self.conn is None:
                self.conn = UnixHTTPConnection(self.d.socket, timeout=10)
            r = send(self.conn, method, path, body=body)
        except Exception as e:  # OSError, http.client's own: every one is an error here
            self.stats.record(op, time.monotonic() - started, type(e).__name__)
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return None
        self.stats.record(op, time.monotonic() - started)
        return r

    def bad(self, op, what):
        with self.stats.lock:
            self.stats.errors += 1
            self.stats.error_kinds[f"{op}: {what}"] = self.stats.error_kinds.get(
                f"{op}: {what}", 0) + 1

    def verify(self):
        user, generator = self.users[(self.n * self.workers + self.index) % len(self.users)]
        r = self.call("verify", "POST", user_path(user, "/verify"),
                      {"code": generator.code(generator.step())})
        if r is None:
            return
        if r.status != 200:
            return self.bad("verify", r.status)
        body = r.json()
        if body != {"valid": True, "method": "totp"} and body.get("reason") != "replayed":
            self.bad("verify", body.get("reason"))

    def enroll(self):
        user = f"soak.enroll.{self.index}.{self.n}"
        r = self.call("enroll", "POST", user_path(user, "/totp"), {})
        if r is None:
            return
        if r.status != 201:
            return self.bad("enroll", r.status)
        generator = Totp(r.json()["secret"])
        r = self.call("confirm", "POST", user_path(user, "/totp/confirm"),
                      {"code": generator.code(generator.step())})
        if r is not None and (r.status != 200 or r.json().get("state") != "active"):
            self.bad("confirm", r.status)

    def admin(self):
        self.admin_calls += 1
        user, _ = self.users[(self.n * 7 + self.index) % len(self.users)]
        kind = self.admin_calls % 4
        if kind == 0:
            r, op, want = self.call("user", "GET", user_path(user)), "user", 200
        elif kind == 1:
            # Enabled again at once, so verification of the user is never affected.
            r, op, want = self.call("two_factor", "PUT", user_path(user, "/two-factor"),
                                    {"enabled": True}), "two_factor", 200
        elif kind == 2:
            r, op, want = self.call("unlock", "POST", user_path(user, "/unlock")), "unlock", 200
        else:
            r, op, want = self.call("metrics", "GET", "/metrics"), "metrics", 200
        if r is not None and r.status != want:
            self.bad(op, r.status)

    def run(self):
        next_at = time.monotonic() + self.index * self.interval / self.workers
        while True:
            now = time.monotonic()
            if now >= self.until:
                break
            if next_at > now:
                time.sleep(next_at - now)
            elif now - next_at > self.interval:
                with self.stats.lock:
                    self.stats.late += 1
                next_at = now  # behind: do not burst to catch up
            next_at += self.interval
            self.n += 1
            pick = self.n % 20
            try:
                if pick < self.mix[0]:
                    self.verify()
                elif pick < self.mix[1]:
                    self.enroll()
                else:
                    self.admin()
            except AssertionError:  # a body that is not JSON
                self.bad("body", "not JSON")
        if self.conn is not None:
            self.conn.close()


MEMORY_FIELDS = ("VmRSS", "RssAnon", "RssFile", "RssShmem")


def process_sample(pid):
    """(rss, fds, anon, file, shmem), KiB and a count, from /proc."""
    memory = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in MEMORY_FIELDS:
                memory[name] = int(value.split()[0])
    rss, anon, file_backed, shmem = (memory.get(name, 0) for name in MEMORY_FIELDS)
    return rss, len(os.listdir(f"/proc/{pid}/fd")), anon, file_backed, shmem


def daemon_pid(process, daemon_bin):
    """The hsm2fad process: `process` itself, or its descendant when a wrapper started it."""
    pending = [process.pid]
    target = os.path.realpath(daemon_bin)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for pid in list(pending):
            try:
                if os.path.realpath(f"/proc/{pid}/exe") == target:
                    return pid
                with open(f"/proc/{pid}/task/{pid}/children") as f:
                    pending += [int(c) for c in f.read().split() if int(c) not in pending]
            except OSError:
                pass
        time.sleep(0.1)
    raise AssertionError("no hsm2fad process below the wrapper")


def bench_max(path):
    with open(path) as f:
        result = json.load(f)
    if result.get("custody") != "wrapped" or result.get("store", "sqlite") != "sqlite":
        raise SystemExit(f"{path}: the soak compares with a wrapped, SQLite bench run")
    return float(result["verify_per_s"])


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def plot(out):
    script = f"""
set terminal png size 1000,600
set output '{out}/soak.png'
set title 'hsm2fad soak: RSS and open fds'
set xlabel 'seconds'
set ylabel 'RSS (KiB)'
set y2label 'open fds'
set y2tics
set key left top
plot '{out}/samples.tsv' using 1:2 with lines title 'RSS (KiB)', \\
     '{out}/samples.tsv' using 1:6 with lines title 'anonymous (KiB)', \\
     '{out}/samples.tsv' using 1:3 axes x1y2 with lines title 'fds'
"""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True, capture_output=True)
        return True
    except (OSError, subprocess.CalledProcessError):
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=2)
    ap.add_argument("--rate", type=float, default=50, help="requests per second, all kinds")
    ap.add_argument("--share", type=float,
                    help="instead of --rate: this fraction of --bench-json's max verify rate")
    ap.add_argument("--bench-json", help="a scripts/bench.sh result (custody wrapped)")
    ap.add_argument("--workers", type=int, help="client threads (default: from the rate)")
    ap.add_argument("--daemon-env", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--daemon-wrapper", help="command prefix for hsm2fad, e.g. heaptrack")
    ap.add_argument("--mix", default="70,15,15",
                    help="percent verify,enroll,admin (multiples of 5)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    args.bench_max = None
    if args.share is not None:
        if not args.bench_json:
            raise SystemExit("--share needs --bench-json")
        args.bench_max = bench_max(args.bench_json)
        args.rate = args.share * args.bench_max
    args.workers = args.workers or max(MIN_WORKERS, round(args.rate / RATE_PER_WORKER))
    os.makedirs(args.out, exist_ok=True)

    d = Deployment(free_failures=100, max_failures=100, base_ms=100, max_wait_ms=1000)
    for item in args.daemon_env:
        name, _, value = item.partition("=")
        d.env[name] = value
    if args.daemon_wrapper:
        wrapper = os.path.join(d.tmp, "daemon-wrapper.sh")
        with open(wrapper, "w") as f:
            f.write(f"#!/bin/sh\nexec {args.daemon_wrapper} {shlex.quote(d.daemon_bin)} \"$@\"\n")
        os.chmod(wrapper, 0o755)
        d.real_daemon_bin, d.daemon_bin = d.daemon_bin, wrapper
    try:
        d.provision()
        d.start()
        return soak(d, args)
    finally:
        d.cleanup()


class _Checker:
    """enroll_active wants a TestCase for its assertions."""

    def assertEqual(self, a, b, msg=None):  # noqa: N802 - unittest's name
        if a != b:
            raise AssertionError(msg)


def soak(d, args):
    users = []
    for i in range(VERIFY_USERS):
        generator, _ = enroll_active(_Checker(), d, f"soak.verify.{i}")
        users.append((f"soak.verify.{i}", generator))

    stats = Stats()
    started = time.monotonic()
    until = started + args.minutes * 60
    verify, enroll, _ = (int(x) // 5 for x in args.mix.split(","))
    mix = (verify, verify + enroll)
    workers = [Worker(i, args.workers, d, users, args.rate, until, stats, mix)
               for i in range(args.workers)]
    pid = daemon_pid(d.process, getattr(d, "real_daemon_bin", d.daemon_bin))
    for w in workers:
        w.start()
    samples = []
    while True:
        t = time.monotonic() - started
        rss, fds, anon, file_backed, shmem = process_sample(pid)
        with stats.lock:
            samples.append((t, rss, fds, stats.requests, stats.errors, anon, file_backed, shmem))
        if time.monotonic() >= until:
            break
        time.sleep(min(SAMPLE_SECONDS, max(0.0, until - time.monotonic())))
    for w in workers:
        w.join(timeout=30)
    elapsed = time.monotonic() - started
    # The daemon's own counters at the end (key cache size, token calls): they explain memory.
    with open(os.path.join(args.out, "metrics.txt"), "w") as f:
        f.write(d.request("GET", "/metrics").text)
    if pid != d.process.pid:
        # A wrapper (heaptrack) must see its child end normally to write its report.
        os.kill(pid, signal.SIGTERM)
        d.process.wait(timeout=300)
        d.process = None
        stop_status = 0
    else:
        stop_status = d.stop()

    with open(os.path.join(args.out, "samples.tsv"), "w") as f:
        f.write("# t_seconds\trss_kib\tfds\trequests\terrors\tanon_kib\tfile_kib\tshmem_kib\n")
        for s in samples:
            f.write("%.1f\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n" % s)
    lines, latency = [], {}
    with open(os.path.join(args.out, "latency.tsv"), "w") as f:
        f.write("# op\tcount\tp50_ms\tp90_ms\tp99_ms\tmax_ms\n")
        for op, values in sorted(stats.latencies.items()):
            v = sorted(values)
            row = (op, len(v), *(1000 * percentile(v, p) for p in (50, 90, 99)), 1000 * v[-1])
            f.write("%s\t%d\t%.2f\t%.2f\t%.2f\t%.2f\n" % row)
            latency[op] = dict(zip(("count", "p50_ms", "p90_ms", "p99_ms", "max_ms"), row[1:]))
            lines.append("  %-11s n=%-6d p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms  max %7.2f ms"
                         % row)

    # Growth is measured from the first sample at or after one minute (start-up, the users'
    # enrollment and the first pages of every cache are not growth).
    after_warmup = [s for s in samples if s[0] >= 60] or samples
    base, last = after_warmup[0], samples[-1]
    growth = 100.0 * (last[1] - base[1]) / base[1] if base[1] else 0.0
    minutes_after = max((last[0] - base[0]) / 60, 1e-9)
    rate_note = (f" ({args.share:g} of the bench's max {args.bench_max:g}/s)"
                 if args.bench_max else "")
    summary = [
        f"soak: {args.minutes:g} min at {args.rate:g} req/s target{rate_note}, mix {args.mix} "
        f"(verify,enroll,admin %), {args.workers} workers, {VERIFY_USERS} verifying users",
        f"requests {stats.requests} in {elapsed:.0f} s ({stats.requests / elapsed:.1f}/s), "
        f"late slots {stats.late}",
        f"errors {stats.errors}" + (f" {stats.error_kinds}" if stats.errors else ""),
        f"rss start {samples[0][1]} KiB, at {base[0]:.0f} s {base[1]} KiB, end {last[1]} KiB "
        f"(growth after warm-up {growth:+.1f} %, {(last[1] - base[1]) / minutes_after:+.0f} "
        f"KiB/min), max {max(s[1] for s in samples)} KiB",
        f"of which anonymous: at {base[0]:.0f} s {base[5]} KiB, end {last[5]} KiB; file-backed "
        f"{base[6]} -> {last[6]} KiB; shared {base[7]} -> {last[7]} KiB",
        f"fds start {samples[0][2]}, end {samples[-1][2]}, max {max(s[2] for s in samples)}",
        f"daemon exit status after SIGTERM: {stop_status}",
        "latency:",
        *lines,
    ]
    result = {
        "minutes": args.minutes, "rate_target": args.rate, "share": args.share,
        "bench_max_per_s": args.bench_max, "mix": args.mix, "workers": args.workers,
        "requests": stats.requests, "seconds": elapsed, "per_s": stats.requests / elapsed,
        "late_slots": stats.late, "errors": stats.errors, "error_kinds": stats.error_kinds,
        "rss_kib": {"start": samples[0][1], "warm_up_t": base[0], "warm_up": base[1],
                    "end": last[1], "max": max(s[1] for s in samples),
                    "growth_percent": growth, "anon_warm_up": base[5], "anon_end": last[5]},
        "fds": {"start": samples[0][2], "end": last[2], "max": max(s[2] for s in samples)},
        "latency": latency, "daemon_env": args.daemon_env, "stop_status": stop_status,
        "load_average_end": list(os.getloadavg()),
        "samples": [dict(zip(("t", "rss_kib", "fds", "requests", "errors", "anon_kib",
                              "file_kib", "shmem_kib"), s)) for s in samples],
    }
    with open(os.path.join(args.out, "soak.json"), "w") as f:
        json.dump(result, f, indent=1)
    if plot(args.out):
        summary.append(f"plot: {args.out}/soak.png")
    text = "\n".join(summary)
    with open(os.path.join(args.out, "summary.txt"), "w") as f:
        f.write(text + "\n")
    print(text)
    return 0 if stats.errors == 0 and stop_status == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
