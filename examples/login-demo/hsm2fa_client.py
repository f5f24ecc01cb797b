"""The backend's only door to hsm2fad: HTTP/1.1 over its Unix socket (API.md), standard library.

Every call returns the decoded JSON body or raises `Hsm2faError`, whose `user_message` is what a
page may show. Nothing here logs a request or response body: bodies carry codes and pairing secrets.
"""

import http.client
import json
import socket
import urllib.parse


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client on AF_UNIX: the Host header stays "localhost", the transport is the socket."""

    def __init__(self, path, timeout):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.unix_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class Hsm2faError(Exception):
    """A refusal or failure of hsm2fad. `status` 0 means the socket could not be reached."""

    def __init__(self, status, code, message, retry_after=None):
        super().__init__(f"hsm2fad {status} {code}")
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after

    @property
    def page_status(self):
        """The status of the page that reports it: hsm2fad's own, or 503 when it was unreachable."""
        return self.status if self.status >= 400 else 503

    @property
    def user_message(self):
        if self.status == 429:
            wait = self.retry_after if self.retry_after is not None else "a few"
            return f"Too many attempts, wait {wait} s before trying again."
        if self.status in (0, 503):
            return "Second factor temporarily unavailable. Please try again in a moment."
        if self.code == "export_locked":
            return ("The pairing code can no longer be shown: it is locked inside the token once "
                    "an authenticator is confirmed. Replace the authenticator to pair a new one.")
        if self.status == 404:
            return "Not found (it may have expired or been removed)."
        if self.status == 409:
            return "That is not possible in the current state."
        return "The request was refused."


def _quote(part):
    return urllib.parse.quote(part, safe="")


class Hsm2faClient:
    """One short-lived connection per call: simple, and safe to share between request threads."""

    def __init__(self, socket_path, tenant="default", timeout=10):
        self.socket_path, self.tenant, self.timeout = socket_path, tenant, timeout

    def call(self, method, path, body=None, timeout=None):
        conn = UnixHTTPConnection(self.socket_path, timeout or self.timeout)
        try:
            headers = {}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            status, retry_header = response.status, response.getheader("Retry-After")
        except OSError as e:
            raise Hsm2faError(0, "unreachable", str(e)) from None
        finally:
            conn.close()
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            raise Hsm2faError(status if status >= 400 else 502, "bad_response",
                              "the answer is not JSON") from None
        if status >= 400:
            error = parsed.get("error", {}) if isinstance(parsed, dict) else {}
            retry = parsed.get("retry_after", error.get("retry_after"))
            if retry is None and retry_header and retry_header.isdigit():
                retry = int(retry_header)
            raise Hsm2faError(status, error.get("code", "unknown"), error.get("message", ""),
                              None if retry is None else int(retry))
        return parsed

    def _user(self, user, suffix=""):
        return f"/v1/tenants/{_quote(self.tenant)}/users/{_quote(user)}{suffix}"

    # --- the 2FA switch (admin) -------------------------------------------------------------
    def user(self, user):
        return self.call("GET", self._user(user))

    def enable_two_factor(self, user):
        return self.call("PUT", self._user(user, "/two-factor"), {"enabled": True})

    def bulk_enable(self, users):
        path = f"/v1/tenants/{_quote(self.tenant)}/two-factor/bulk"
        return self.call("POST", path, {"users": list(users), "enabled": True})["results"]

    def unlock(self, user):
        return self.call("POST", self._user(user, "/unlock"), {})

    # --- authenticator apps -----------------------------------------------------------------
    def enroll_totp(self, user, replace=False):
        return self.call("POST", self._user(user, "/totp"), {"replace": True} if replace else {})

    def pairing(self, user):
        return self.call("GET", self._user(user, "/totp/pairing"))

    def confirm_totp(self, user, code):
        return self.call("POST", self._user(user, "/totp/confirm"), {"code": code})

    # --- login ------------------------------------------------------------------------------
    def verify(self, user, code):
        return self.call("POST", self._user(user, "/verify"), {"code": code})

    def send_email_code(self, user, address):
        return self.call("POST", self._user(user, "/email-code"), {"email": address})

    def create_challenge(self, user, origin, ip, user_agent):
        return self.call("POST", self._user(user, "/challenges"),
                         {"origin": origin, "ip": ip, "user_agent": user_agent[:512]})

    def wait_challenge(self, challenge_id, wait):
        return self.call("GET", f"/v1/challenges/{_quote(challenge_id)}?wait={int(wait)}",
                         timeout=wait + 10)

    # --- push devices -----------------------------------------------------------------------
    def devices(self, user):
        return self.call("GET", self._user(user, "/devices"))["devices"]

    def register_device(self, user, name, public_key_pem):
        return self.call("POST", self._user(user, "/devices"),
                         {"name": name, "public_key": public_key_pem})["device_id"]

    def delete_device(self, user, device_id):
        return self.call("DELETE", self._user(user, f"/devices/{_quote(device_id)}"))

    def device_challenges(self, device_id, wait):
        return self.call("GET", f"/v1/devices/{_quote(device_id)}/challenges?wait={int(wait)}",
                         timeout=wait + 10)["challenges"]

    def respond(self, challenge_id, answer):
        return self.call("POST", f"/v1/challenges/{_quote(challenge_id)}/response", answer)
