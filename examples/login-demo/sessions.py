"""Server-side sessions: the browser holds only a random id in an HttpOnly, SameSite=Strict cookie.

A session is anonymous (CSRF token only), half-way (password checked, second factor pending) or
signed in. Every step up gets a new id, so an id seen before the login is worthless after it.
"""

import hmac
import secrets
import threading
import time

IDLE_SECONDS = 30 * 60
PENDING_SECONDS = 5 * 60  # the Code screen: as long as a push challenge may wait, and then some


class Session:
    def __init__(self):
        self.id = secrets.token_urlsafe(32)
        self.csrf = secrets.token_urlsafe(32)
        self.user = None  # signed in as
        self.pending = None  # {"user", "challenge_id", "number", "since"} while on the Code screen
        self.flash = None  # one message for the next page
        self.touched = time.monotonic()

    def csrf_ok(self, token):
        return bool(token) and hmac.compare_digest(token.encode(), self.csrf.encode())

    def pending_user(self):
        if self.pending and time.monotonic() - self.pending["since"] < PENDING_SECONDS:
            return self.pending["user"]
        return None

    def take_flash(self):
        message, self.flash = self.flash, None
        return message


class SessionStore:
    def __init__(self):
        self.sessions = {}
        self.lock = threading.Lock()

    def get_or_create(self, session_id):
        now = time.monotonic()
        with self.lock:
            for sid in [s for s, v in self.sessions.items() if now - v.touched > IDLE_SECONDS]:
                del self.sessions[sid]
            session = self.sessions.get(session_id or "")
            if session is None:
                session = Session()
                self.sessions[session.id] = session
            session.touched = now
            return session

    def rotate(self, session):
        """A new id and CSRF token for the same state (after each step up, and on logout)."""
        with self.lock:
            self.sessions.pop(session.id, None)
            session.id = secrets.token_urlsafe(32)
            session.csrf = secrets.token_urlsafe(32)
            self.sessions[session.id] = session
