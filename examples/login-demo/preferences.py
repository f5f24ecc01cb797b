"""The preferences routes: pairing an authenticator app (the pairing code only when asked for,
with its QR image), and the registered phones."""

import base64

import pages
import qr
from hsm2fa_client import Hsm2faError
from sign_in import CODE


class PreferenceRoutes:
    """Mixed into app.Handler: uses its `demo`, `session`, `_send`, `_redirect` and `_json`."""

    def preferences(self, message=None, notice=None, status=200):
        user = self._signed_in()
        if user is None:
            return self._redirect("/login")
        try:
            view = self.demo.client.user(user["name"])
            devices = self.demo.client.devices(user["name"])
        except Hsm2faError as e:
            return self._send(503, pages.problem("Preferences", e.user_message))
        self._send(status, pages.preferences(user, self.session.csrf, view, devices, message,
                                             notice or self.session.take_flash()))

    def pairing(self):
        """The pairing code of a pending (or new) enrollment, as JSON for preferences.js."""
        user = self._signed_in()
        if user is None:
            return self._json({"error": "Please sign in again."}, 403)
        client = self.demo.client
        try:
            if client.user(user["name"])["methods"]["totp"] == "none":
                enrollment = client.enroll_totp(user["name"])
            else:
                enrollment = client.pairing(user["name"])
        except Hsm2faError as e:
            return self._json({"error": e.user_message}, 200)
        picture = qr.svg(enrollment["otpauth_uri"])
        image = ("data:image/svg+xml;base64," + base64.b64encode(picture.encode()).decode()
                 if picture else None)
        self._json({"secret": enrollment["secret"], "qr": image})

    def confirm(self, form):
        user = self._signed_in()
        if user is None:
            return self._redirect("/login")
        code = form.get("code", "").strip()
        if not CODE.match(code):
            return self.preferences("A code is 6 digits (8 for some apps).", status=400)
        try:
            answer = self.demo.client.confirm_totp(user["name"], code)
        except Hsm2faError as e:
            return self.preferences(e.user_message, status=e.page_status)
        if not answer["valid"]:
            return self.preferences("That code does not match: check the app and try again.")
        self.preferences(notice="Your authenticator app is paired. It will be asked for at your "
                                "next sign-in.")

    def replace(self, form):
        user = self._signed_in()
        if user is None:
            return self._redirect("/login")
        try:
            self.demo.client.enroll_totp(user["name"], replace=True)
        except Hsm2faError as e:
            return self.preferences(e.user_message)
        self.preferences(notice="Tick the box to show the new pairing code. The old app keeps "
                                "working until the new one is confirmed.")

    def remove_device(self, form):
        user = self._signed_in()
        if user is None:
            return self._redirect("/login")
        try:
            self.demo.client.delete_device(user["name"], form.get("device_id", ""))
        except Hsm2faError as e:
            return self.preferences(e.user_message)
        self.preferences(notice="The phone was removed.")
