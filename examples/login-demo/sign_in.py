"""The sign-in routes: password, then the Code screen (code, "Send New Code", the phone's answer).

Policy of this demo (a backend chooses its own): when hsm2fad says 2FA is on for a user and the user
has a factor (an active authenticator, a phone, or an email address with email codes on), the
password only leads to the Code screen. A user with 2FA on and nothing paired yet is signed in and
sent to Preferences to pair an authenticator. When hsm2fad cannot answer, nobody gets in.
"""

import re
import time

import pages
from hsm2fa_client import Hsm2faError

CODE = re.compile(r"^[0-9]{6,8}$")
LONG_POLL_SECONDS = 25
REASONS = {
    "wrong_code": "That code is not right. Check the code and try again.",
    "replayed": "That code was already used. Wait for the next code in your app.",
    "expired": "That code has expired. Use Send New Code to get a fresh one.",
    "not_enrolled": "There is no second factor for that code. Ask your administrator.",
}


class SignInRoutes:
    """Mixed into app.Handler: uses its `demo`, `session`, `_send`, `_redirect` and `_json`."""

    def login_form(self, message=None, status=200):
        self._send(status, pages.login(self.session.csrf, message))

    def login(self, form):
        account = self.demo.users.authenticate(form.get("name", ""), form.get("password", ""))
        if account is None:
            return self.login_form("Wrong name or password.", 401)
        try:
            view = self.demo.client.user(account["name"])
        except Hsm2faError as e:
            return self.login_form(e.user_message, e.page_status)
        self.session.user, self.session.pending = None, None
        self.demo.sessions.rotate(self.session)
        methods = view["methods"]
        # Email codes are this backend's choice (--no-email-codes), not a state hsm2fad reports.
        email = bool(account["email"]) and self.demo.email_codes
        if not view["two_factor"]["enabled"]:
            self.session.user = account["name"]
            return self._redirect("/")
        if methods["totp"] != "active" and methods["push_devices"] == 0 and not email:
            self.session.user = account["name"]
            self.session.flash = ("Your administrator has turned on two-factor sign-in: pair an "
                                  "authenticator app now (tick the box below).")
            return self._redirect("/preferences")
        self.session.pending = {"user": account["name"], "challenge_id": None, "number": None,
                                "email": email, "since": time.monotonic()}
        if methods["push_devices"] > 0:
            self._start_push(account["name"])
        self._redirect("/code")

    def _start_push(self, name):
        try:
            challenge = self.demo.client.create_challenge(
                name, self.demo.origin, self.client_address[0],
                self.headers.get("User-Agent", ""))
        except Hsm2faError as e:
            self.session.flash = "No request was sent to your phone. " + e.user_message
            return
        self.session.pending.update(challenge_id=challenge["challenge_id"],
                                    number=challenge.get("number"))

    def code_screen(self, message=None, status=200):
        name = self.session.pending_user()
        if name is None:
            return self._redirect("/login")
        pending = self.session.pending
        self._send(status, pages.code(self.session.csrf, name, message, self.session.take_flash(),
                                      push=pending["challenge_id"] is not None,
                                      number=pending["number"], email=pending["email"]))

    def _complete(self, name):
        self.session.pending, self.session.user = None, name
        self.demo.sessions.rotate(self.session)

    def submit_code(self, form):
        name = self.session.pending_user()
        if name is None:
            return self._redirect("/login")
        code = form.get("code", "").strip()
        if not CODE.match(code):
            return self.code_screen("A code is 6 digits (8 for some apps).", 400)
        try:
            answer = self.demo.client.verify(name, code)
        except Hsm2faError as e:
            return self.code_screen(e.user_message, e.page_status)
        if not answer["valid"]:
            return self.code_screen(REASONS.get(answer["reason"], "That code was refused."), 401)
        self._complete(name)
        self._redirect("/")

    def send_new_code(self, form):
        name = self.session.pending_user()
        if name is None or not self.session.pending["email"]:
            return self._redirect("/login")
        address = self.demo.users.get(name)["email"]
        try:
            answer = self.demo.client.send_email_code(name, address)
        except Hsm2faError as e:
            return self.code_screen(e.user_message, e.page_status)
        if "code" in answer:  # email.delivery = "caller": the backend mails it itself
            try:
                self.demo.send_mail(address, name, answer.pop("code"))
            except OSError:
                return self.code_screen("The email could not be sent. Try again shortly.", 502)
        user, _, domain = address.partition("@")
        self.session.flash = f"A new code is on its way to {user[:1]}***@{domain}."
        self._redirect("/code")

    def wait_for_phone(self):
        pending, name = self.session.pending, self.session.pending_user()
        if name is None or pending["challenge_id"] is None:
            return self._json({"state": "signed_out", "message": "Please sign in again."})
        try:
            answer = self.demo.client.wait_challenge(pending["challenge_id"], LONG_POLL_SECONDS)
        except Hsm2faError as e:
            return self._json({"state": "unavailable", "message": e.user_message})
        state = answer["state"]
        if self.session.pending is not pending:  # signed out, or a new login, meanwhile
            return self._json({"state": "signed_out", "message": "Please sign in again."})
        if state == "approved":
            self._complete(name)
            return self._json({"state": "approved", "next": "/"})
        if state == "denied":
            self.session.pending = None  # out: the password step must be done again
            return self._json({"state": "denied", "message": "The sign-in was denied on your "
                               "phone. If that was not you, change your password."})
        if state == "expired":
            return self._json({"state": "expired", "message": "The request to your phone "
                               "expired. Type a code instead, or sign in again."})
        self._json({"state": state})

    def logout(self, form):
        self.session.user, self.session.pending = None, None
        self.demo.sessions.rotate(self.session)
        self._redirect("/login")

    def start(self):
        user = self._signed_in()
        if user is None:
            return self._redirect("/login")
        self._send(200, pages.start(user, self.session.csrf, self.session.take_flash()))
