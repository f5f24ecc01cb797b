"""The demo's own accounts: name, email, admin flag and a scrypt password hash, in one JSON file.

The second factor is not here: hsm2fad keeps it (seeds in the token). A real backend keeps this in
its database; the file is written whole to a temp file and renamed, so a crash never leaves half.
"""

import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
import threading

# RFC 7914 parameters as OWASP suggests for interactive logins (n=2^14, r=8, p=1: 16 MiB each).
SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}
# hsm2fad's identifier alphabet (API.md "Identifiers"): a demo name is used as the hsm2fa user.
NAME = re.compile(r"^[A-Za-z0-9._@+-]{1,128}$")


def hash_password(password, salt=None):
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password, stored):
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hash_password(password, bytes.fromhex(salt_hex)).split("$")[2]
    return hmac.compare_digest(candidate, digest_hex)


# Checked against when the name is unknown, so a wrong name costs the same time as a wrong password.
_DUMMY_HASH = hash_password(secrets.token_hex(16))


class UserStore:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def _load(self):
        try:
            with open(self.path, encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def _save(self, users):
        directory = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".users.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(users, f, indent=1, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            os.unlink(tmp)
            raise

    def add(self, name, password, email="", admin=False):
        if not NAME.match(name):
            raise ValueError("a name is 1-128 characters of A-Z a-z 0-9 . _ @ + -")
        if len(password) < 8:
            raise ValueError("a password has at least 8 characters")
        with self.lock:
            users = self._load()
            users[name] = {"email": email, "admin": bool(admin),
                           "password": hash_password(password)}
            self._save(users)

    def authenticate(self, name, password):
        """The account (without its hash) when the password matches, else None."""
        account = self._load().get(name)
        if account is None:
            check_password(password, _DUMMY_HASH)
            return None
        if not check_password(password, account["password"]):
            return None
        return self.get(name)

    def get(self, name):
        account = self._load().get(name)
        if account is None:
            return None
        return {"name": name, "email": account["email"], "admin": account["admin"]}

    def names(self):
        return sorted(self._load())
