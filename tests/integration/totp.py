"""RFC 6238 TOTP computed independently of the daemon, from the exported base32 secret."""

import base64
import hashlib
import hmac
import struct
import time

DIGESTS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}


def decode_secret(secret_b32):
    padded = secret_b32 + "=" * (-len(secret_b32) % 8)
    return base64.b32decode(padded, casefold=False)


def hotp(key, counter, digits=6, algorithm="SHA1"):
    mac = hmac.new(key, struct.pack(">Q", counter), DIGESTS[algorithm]).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10 ** digits).zfill(digits)


class Totp:
    def __init__(self, secret_b32, digits=6, period=30, algorithm="SHA1"):
        self.key = decode_secret(secret_b32)
        self.digits, self.period, self.algorithm = digits, period, algorithm

    def step(self, at=None):
        return int((time.time() if at is None else at) // self.period)

    def code(self, step):
        return hotp(self.key, step, self.digits, self.algorithm)

    def wrong_code(self, around=None, spread=3):
        """A code of the right length that matches no step near `around` (default: now)."""
        center = self.step() if around is None else around
        taken = {self.code(s) for s in range(center - spread, center + spread + 1)}
        candidate = 0
        while True:
            code = str(candidate).zfill(self.digits)
            if code not in taken:
                return code
            candidate += 1


def seconds_left_in_step(period=30):
    return period - (time.time() % period)


def wait_for_margin(margin, period=30):
    """Sleeps past the next step boundary when fewer than `margin` seconds remain in this step,
    so a sequence of requests that must see one step does not straddle two."""
    left = seconds_left_in_step(period)
    if left < margin:
        time.sleep(left + 0.05)
