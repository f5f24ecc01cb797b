"""The web server of the demo: sessions, CSRF checks, security headers, and dispatch to the routes
(sign_in.py, preferences.py, admin.py). Standard library only: http.server with a thread per
request, since the Code screen's long poll holds one for up to half a minute."""

import http.cookies
import http.server
import json
import mimetypes
import os
import urllib.parse

import pages
from admin import AdminRoutes
from preferences import PreferenceRoutes
from sessions import SessionStore
from sign_in import SignInRoutes

STATIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
COOKIE = "demo_session"
MAX_FORM = 16 * 1024
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class Demo:
    """What every request needs: hsm2fad, the accounts, the sessions, and how mail leaves."""

    def __init__(self, client, users, send_mail, origin, email_codes=True):
        self.client, self.users, self.send_mail, self.origin = client, users, send_mail, origin
        self.email_codes = email_codes
        self.sessions = SessionStore()


class Handler(SignInRoutes, PreferenceRoutes, AdminRoutes, http.server.BaseHTTPRequestHandler):
    server_version = "login-demo"
    protocol_version = "HTTP/1.1"
    demo = None  # set by make_handler

    # --- plumbing -----------------------------------------------------------------------------
    def log_message(self, fmt, *args):
        # Paths only (never a body: bodies carry passwords and codes).
        print(f"login-demo: {self.address_string()} {fmt % args}", flush=True)

    def _session(self):
        jar = http.cookies.SimpleCookie(self.headers.get("Cookie", ""))
        sid = jar[COOKIE].value if COOKIE in jar else None
        return self.demo.sessions.get_or_create(sid)

    def _send(self, status, body, content_type="text/html; charset=utf-8", extra=None):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        for name, value in {**HEADERS, **(extra or {})}.items():
            self.send_header(name, value)
        if self.session is not None:
            # HttpOnly: no script reads it. SameSite=Strict: no other site's form or fetch sends it.
            # Add "; Secure" when the demo is served over HTTPS (always, outside of localhost).
            self.send_header("Set-Cookie", f"{COOKIE}={self.session.id}; Path=/; HttpOnly; "
                                           "SameSite=Strict")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, where):
        self._send(303, "", extra={"Location": where})

    def _json(self, body, status=200):
        self._send(status, json.dumps(body), "application/json")

    def _form(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_FORM:
            raise ValueError("form too large")
        raw = self.rfile.read(length).decode("utf-8", "replace")
        return urllib.parse.parse_qs(raw, keep_blank_values=True)

    def _csrf_ok(self, form=None):
        token = form.get("csrf", [""])[0] if form is not None else self.headers.get("X-CSRF-Token")
        return self.session.csrf_ok(token)

    def _signed_in(self):
        return self.demo.users.get(self.session.user) if self.session.user else None

    # --- dispatch -----------------------------------------------------------------------------
    def do_GET(self):
        self.session = self._session()
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/static/"):
            return self._static(path[len("/static/"):])
        route = {"/": self.start, "/login": self.login_form, "/code": self.code_screen,
                 "/preferences": self.preferences, "/admin": self.admin}.get(path)
        if route is None:
            return self._send(404, pages.problem("Not found", "There is no such page."))
        route()

    def do_POST(self):
        self.session = self._session()
        path = urllib.parse.urlsplit(self.path).path
        try:
            form = self._form()  # read whole even where unused: the connection stays in step
        except ValueError:
            self.close_connection = True
            return self._send(413, pages.problem("Too large", "That form is too large."))
        if path in ("/code/wait", "/preferences/pairing"):  # fetch() with the X-CSRF-Token header
            if not self._csrf_ok():
                expired = "Your session expired: reload the page."
                return self._json({"state": "signed_out", "message": expired, "error": expired},
                                  403)
            return self.wait_for_phone() if path == "/code/wait" else self.pairing()
        if not self._csrf_ok(form):
            return self._send(403, pages.problem("Expired form", "The form expired; please try "
                                                 "again from a fresh page."))
        route = {"/login": self.login, "/logout": self.logout, "/code": self.submit_code,
                 "/code/email": self.send_new_code, "/preferences/confirm": self.confirm,
                 "/preferences/replace": self.replace, "/preferences/devices/remove":
                 self.remove_device, "/admin/enable": self.admin_enable,
                 "/admin/unlock": self.admin_unlock, "/admin/bulk": self.admin_bulk}.get(path)
        if route is None:
            return self._send(404, pages.problem("Not found", "There is no such page."))
        route({k: v if k == "users" else v[0] for k, v in form.items()})

    def _static(self, name):
        if name not in ("code.js", "preferences.js", "demo.css"):
            return self._send(404, "", "text/plain")
        with open(os.path.join(STATIC, name), "rb") as f:
            self._send(200, f.read(), mimetypes.guess_type(name)[0] + "; charset=utf-8")


def make_handler(demo):
    return type("DemoHandler", (Handler,), {"demo": demo, "session": None})
