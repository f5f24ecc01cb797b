"""Token faults through the real daemon (issue 7): the daemon loads the fault-injecting PKCS#11
module (tests/fault/README.md) in front of SoftHSM2, and the tests rewrite its control file
while the daemon runs.

What must hold (API.md "Errors", DESIGN.md custody model):
- while the token fails with any of the "token is gone" errors, verify, enroll and confirm answer
  503 hsm_unavailable: never "valid", never a crash, nothing consumed;
- once the fault stops, the very next requests succeed, without a restart;
- a stalled token call is cut off at [hsm] call_timeout_ms, answered 503 and counted;
- with the token gone, the circuit breaker answers 503 without calling the module, health and
  hsm_up say "down", and the first probe after the back-off brings the service back;
- a wrong PIN costs exactly one C_Login and stops the daemon with a clear fatal error.
"""

import os
import subprocess
import time
import unittest

from harness import (SOFTHSM_MODULE, Deployment, DeploymentTestCase, binaries, build_dir,
                     enroll_active, user_path)
from totp import Totp, wait_for_margin

# Errors a token returns when it, its session or its login went away (PKCS#11 2.40 section 5).
TOKEN_GONE_ERRORS = (
    "CKR_DEVICE_REMOVED",
    "CKR_TOKEN_NOT_PRESENT",
    "CKR_SESSION_HANDLE_INVALID",
    "CKR_SESSION_CLOSED",
    "CKR_DEVICE_ERROR",
    "CKR_USER_NOT_LOGGED_IN",
)


def shim_path():
    """The fault module; missing means skip (or a failure under CI), like the daemon itself."""
    path = os.path.join(build_dir(), "tests", "fault", "libhsm2fa_fault_p11.so")
    if not os.access(path, os.R_OK):
        reason = f"not built: {path}"
        if os.environ.get("CI"):
            raise AssertionError(reason)
        print(f"hsm2fa-integration-skipped: {reason}", flush=True)
        raise unittest.SkipTest(reason)
    return path


def shim_deployment(**settings):
    """A Deployment whose token is reached through the shim. The CLI (init, provision) runs with
    no control file; the daemon gets its own control and stats files."""
    binaries()
    d = Deployment(module=shim_path(), **settings)
    d.control = os.path.join(d.tmp, "faults")
    d.stats = os.path.join(d.tmp, "stats")
    d.env["HSM2FA_FAULT_MODULE"] = SOFTHSM_MODULE
    return d


def arm_daemon_env(d):
    d.env["HSM2FA_FAULT_CONTROL"] = d.control
    d.env["HSM2FA_FAULT_STATS"] = d.stats
    d.env["HSM2FA_FAULT_STATS_INTERVAL_MS"] = "0"


def set_faults(d, rules):
    """Replaces the control file atomically (the shim notices the new inode on its next call)."""
    tmp = d.control + ".tmp"
    with open(tmp, "w") as f:
        f.write(rules + "\n")
    os.rename(tmp, d.control)


def clear_faults(d):
    try:
        os.unlink(d.control)
    except FileNotFoundError:
        pass


def metric(d, name):
    """The value of an unlabelled sample in /metrics (0 when absent)."""
    for line in d.get("/metrics").text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == name:
            return float(parts[1])
    return 0.0


def with_hsm_settings(d, **keys):
    """Adds keys to the config's [hsm] table (the harness renders only the common ones)."""
    with open(d.config) as f:
        text = f.read()
    extra = "".join(f"{k} = {v}\n" for k, v in keys.items())
    text = text.replace("[hsm]\n", "[hsm]\n" + extra, 1)
    with open(d.config, "w") as f:
        f.write(text)


def read_stats(d):
    """{function: (calls, faults)} from the shim's stats file."""
    stats = {}
    try:
        with open(d.stats) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3:
                    stats[parts[0]] = (int(parts[1]), int(parts[2]))
    except FileNotFoundError:
        pass
    return stats


class ShimTestCase(DeploymentTestCase):
    """One provisioned daemon on the shim per class, faults off between tests."""

    @classmethod
    def setUpClass(cls):
        cls.deployment = shim_deployment(**cls.settings)
        try:
            cls.deployment.provision()
            arm_daemon_env(cls.deployment)
            cls.deployment.start()
        except BaseException:
            cls.deployment.cleanup()
            raise

    def tearDown(self):
        clear_faults(self.deployment)

    def assertAlive(self):
        self.assertIsNone(self.deployment.process.poll(),
                          f"hsm2fad died:\n{self.deployment.log_tail()}")

    def assertUnavailable(self, response, what):
        self.assertNotEqual(response.status, 200, f"{what}: answered 200 under a token fault")
        self.assertError(response, 503, "hsm_unavailable", what)
        self.assertAlive()


class FaultMatrixMixin:
    """For each error: the fault is on for every call (the token is gone), then off."""

    custody = None

    def _verify_under_fault(self, ckr):
        d, user = self.deployment, f"v.{ckr.lower()}"
        generator, _ = enroll_active(self, d, user)
        wait_for_margin(8)
        code = generator.code(generator.step())
        set_faults(d, f"* {ckr}")
        for attempt in (1, 2):
            r = d.post(user_path(user, "/verify"), {"code": code})
            self.assertUnavailable(r, f"verify #{attempt} under {ckr}")
        clear_faults(d)
        # Nothing was consumed or counted while the token was gone: the same code is valid now.
        r = d.post(user_path(user, "/verify"), {"code": code})
        self.assertEqual(r.status, 200, f"first verify after {ckr} stopped: {r.summary()}")
        self.assertEqual(r.json(), {"valid": True, "method": "totp"}, f"after {ckr}")
        r = d.post(user_path(user, "/verify"), {"code": code})
        self.assertEqual(r.json().get("valid"), False, f"replay after {ckr}")
        self.assertHealthy()

    def _enroll_under_fault(self, ckr):
        d, user = self.deployment, f"e.{ckr.lower()}"
        set_faults(d, f"* {ckr}")
        r = d.post(user_path(user, "/totp"), {})
        self.assertUnavailable(r, f"enroll under {ckr}")
        clear_faults(d)
        r = d.post(user_path(user, "/totp"), {})
        self.assertEqual(r.status, 201, f"first enroll after {ckr} stopped: {r.summary()}")
        generator = Totp(r.json()["secret"])
        r = d.post(user_path(user, "/totp/confirm"), {"code": generator.code(generator.step())})
        self.assertEqual(r.json(), {"valid": True, "state": "active"}, f"confirm after {ckr}")

    def _confirm_under_fault(self, ckr):
        d, user = self.deployment, f"c.{ckr.lower()}"
        r = d.post(user_path(user, "/totp"), {})
        self.assertEqual(r.status, 201, f"enroll before {ckr}: {r.summary()}")
        generator = Totp(r.json()["secret"])
        wait_for_margin(8)
        code = generator.code(generator.step())
        set_faults(d, f"* {ckr}")
        r = d.post(user_path(user, "/totp/confirm"), {"code": code})
        self.assertUnavailable(r, f"confirm under {ckr}")
        clear_faults(d)
        r = d.post(user_path(user, "/totp/confirm"), {"code": code})
        self.assertEqual(r.status, 200, f"first confirm after {ckr} stopped: {r.summary()}")
        self.assertEqual(r.json(), {"valid": True, "state": "active"}, f"confirm after {ckr}")

    def test_health_follows_the_token(self):
        d = self.deployment
        set_faults(d, "* CKR_DEVICE_REMOVED")
        r = d.get("/v1/health")
        self.assertEqual(r.status, 503, f"health with the token removed: {r.summary()}")
        self.assertEqual(r.json().get("hsm"), "down")
        clear_faults(d)
        self.assertHealthy()

    def test_injected_errors_are_counted_in_metrics(self):
        d = self.deployment
        set_faults(d, "* CKR_DEVICE_ERROR")
        r = d.post(user_path("metrics.user", "/totp"), {})
        self.assertUnavailable(r, "enroll under CKR_DEVICE_ERROR")
        clear_faults(d)
        self.assertGreater(sum(f for _, f in read_stats(d).values()), 0, "the shim faulted")
        text = d.get("/metrics").text
        self.assertIn('hsm2fa_hsm_errors_total{ckr="CKR_DEVICE_ERROR"}', text)


def _add_matrix(cls):
    for ckr in TOKEN_GONE_ERRORS:
        for op in ("verify", "enroll", "confirm"):
            def test(self, ckr=ckr, op=op):
                getattr(self, f"_{op}_under_fault")(ckr)
            test.__name__ = f"test_{op}_under_{ckr.lower()}"
            setattr(cls, test.__name__, test)
    return cls


@_add_matrix
class WrappedCustodyFaults(FaultMatrixMixin, ShimTestCase):
    settings = {"custody": "wrapped", "free_failures": 20, "max_failures": 100}


@_add_matrix
class TokenCustodyFaults(FaultMatrixMixin, ShimTestCase):
    settings = {"custody": "token", "free_failures": 20, "max_failures": 100}


class StalledToken(ShimTestCase):
    settings = {"call_timeout_ms": 500}

    def test_a_stalled_call_times_out_and_is_counted(self):
        d, user = self.deployment, "stalled"
        generator, _ = enroll_active(self, d, user)
        wait_for_margin(15)
        before = metric(d, "hsm2fa_hsm_call_timeouts_total")
        set_faults(d, "C_Sign stall ms=6000\nC_SignInit stall ms=6000\n"
                      "C_UnwrapKey stall ms=6000")
        try:
            r = d.post(user_path(user, "/verify"), {"code": generator.code(generator.step())},
                       timeout=4)
        except OSError:
            self.fail("no answer while the token call stalled: call_timeout_ms not applied")
        finally:
            clear_faults(d)
        self.assertUnavailable(r, "verify with a stalled token call")
        self.assertGreater(metric(d, "hsm2fa_hsm_call_timeouts_total"), before,
                           "stalled calls are counted")

    def test_a_stalled_call_is_never_valid_and_the_daemon_recovers(self):
        """A stall longer than call_timeout_ms gives no wrong answer, and the daemon answers
        correctly once the token is fast again."""
        d, user = self.deployment, "stalled.today"
        generator, _ = enroll_active(self, d, user)
        wait_for_margin(20)
        code = generator.code(generator.step())
        set_faults(d, "C_Sign stall ms=3000 count=1")
        r = d.post(user_path(user, "/verify"), {"code": code}, timeout=15)
        clear_faults(d)
        self.assertIn(r.status, (200, 503), f"verify with one stalled C_Sign: {r.summary()}")
        if r.status == 200:
            self.assertEqual(r.json(), {"valid": True, "method": "totp"})
            r = d.post(user_path(user, "/verify"), {"code": code})
            self.assertEqual(r.json().get("valid"), False, "replay after the stall")
        else:
            self.assertError(r, 503, "hsm_unavailable", "verify with a stalled token call")
            r = d.post(user_path(user, "/verify"), {"code": code})
            self.assertEqual(r.json(), {"valid": True, "method": "totp"}, "after the stall")
        self.assertAlive()
        self.assertHealthy()


class DeadToken(ShimTestCase):
    """The circuit breaker: with the token gone, requests are answered 503 without reaching the
    module (the shim counts every call), health and hsm_up say so, and the first probe after
    the back-off finds the token again once it is back."""

    settings = {"free_failures": 20, "max_failures": 100}
    FAILURES_TO_OPEN = 3
    BURST = 60

    @classmethod
    def setUpClass(cls):
        cls.deployment = shim_deployment(**cls.settings)
        try:
            cls.deployment.provision()
            with_hsm_settings(cls.deployment, breaker_failures=cls.FAILURES_TO_OPEN,
                              breaker_backoff_ms=2000, breaker_backoff_max_ms=4000)
            arm_daemon_env(cls.deployment)
            cls.deployment.start()
        except BaseException:
            cls.deployment.cleanup()
            raise

    def module_calls(self):
        return sum(calls for calls, _ in read_stats(self.deployment).values())

    def test_a_burst_against_a_dead_token_is_refused_without_calls_and_recovers(self):
        d, user = self.deployment, "dead.token"
        generator, _ = enroll_active(self, d, user)
        set_faults(d, "* CKR_DEVICE_REMOVED")
        # Enough failures to open the breaker.
        for i in range(self.FAILURES_TO_OPEN):
            r = d.post(user_path(user, "/verify"), {"code": generator.code(generator.step())})
            self.assertUnavailable(r, f"verify #{i + 1} with the token gone")
        self.assertEqual(metric(d, "hsm2fa_hsm_breaker_open"), 1, "the breaker opened")
        calls_before = self.module_calls()
        refusals_before = metric(d, "hsm2fa_hsm_breaker_refusals_total")
        for i in range(self.BURST):
            r = d.post(user_path(user, "/verify"), {"code": generator.code(generator.step())})
            self.assertUnavailable(r, f"burst verify #{i + 1}")
        burst_calls = self.module_calls() - calls_before
        # Only the breaker's occasional probes reach the module, never one call per request.
        self.assertLess(burst_calls, self.BURST // 2,
                        f"{burst_calls} module calls for {self.BURST} refused requests")
        self.assertGreater(metric(d, "hsm2fa_hsm_breaker_refusals_total") - refusals_before,
                           self.BURST // 2, "refusals are counted")
        self.assertEqual(metric(d, "hsm2fa_hsm_up"), 0, "hsm_up with the breaker open")
        r = d.get("/v1/health")
        self.assertEqual(r.status, 503, f"health with the token gone: {r.summary()}")
        self.assertEqual(r.json().get("hsm"), "down")

        clear_faults(d)
        deadline = time.monotonic() + 30
        while d.get("/v1/health").status != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertHealthy()
        self.assertEqual(metric(d, "hsm2fa_hsm_up"), 1, "hsm_up after the token came back")
        self.assertEqual(metric(d, "hsm2fa_hsm_breaker_open"), 0)
        # Nothing was consumed while the token was gone.
        wait_for_margin(5)
        code = generator.code(generator.step())
        r = d.post(user_path(user, "/verify"), {"code": code})
        self.assertEqual(r.json(), {"valid": True, "method": "totp"}, "verify after recovery")
        self.assertAlive()


class LoginFailure(unittest.TestCase):
    """The PIN is never retried: one C_Login, a fatal error naming the cause, a non-zero exit."""

    def setUp(self):
        self.d = shim_deployment()
        try:
            self.d.provision()
        except BaseException:
            self.d.cleanup()
            raise

    def tearDown(self):
        self.d.cleanup()

    def start_expecting_exit(self, timeout=30):
        d = self.d
        arm_daemon_env(d)
        with open(d.log_path, "ab") as log:
            proc = subprocess.Popen([d.daemon_bin, "--config", d.config], env=d.env,
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            self.fail(f"hsm2fad kept running with a PIN the token refuses:\n{d.log_tail()}")

    def assert_one_login_and_fatal(self, code, what):
        d = self.d
        self.assertNotEqual(code, 0, f"exit status with {what}:\n{d.log_tail()}")
        self.assertNotEqual(code, -6, f"hsm2fad aborted with {what}:\n{d.log_tail()}")
        self.assertNotEqual(code, -11, f"hsm2fad crashed with {what}:\n{d.log_tail()}")
        logins = read_stats(d).get("C_Login", (0, 0))[0]
        self.assertEqual(logins, 1, f"C_Login calls with {what}")
        log = d.log_tail(200)
        self.assertRegex(log.lower(), r"pin", f"the fatal error names the PIN:\n{log}")
        self.assertNotIn(d.user_pin, log, "the log shows a PIN")

    def test_wrong_pin_file(self):
        with open(os.path.join(self.d.tmp, "user.pin"), "w") as f:
            f.write(("0" if self.d.user_pin[0] != "0" else "1") + self.d.user_pin[1:] + "\n")
        self.assert_one_login_and_fatal(self.start_expecting_exit(), "a wrong PIN file")

    def test_locked_pin(self):
        set_faults(self.d, "C_Login CKR_PIN_LOCKED")
        self.assert_one_login_and_fatal(self.start_expecting_exit(), "CKR_PIN_LOCKED")


if __name__ == "__main__":
    unittest.main()
