"""The admin routes: every account with its 2FA state, the switch per user and in bulk."""

import pages
from hsm2fa_client import Hsm2faError


class AdminRoutes:
    """Mixed into app.Handler: uses its `demo`, `session`, `_send`, `_redirect` and `_json`."""

    def admin(self, message=None, notice=None):
        user = self._signed_in()
        if user is None or not user["admin"]:
            return self._send(403, pages.problem("Forbidden", "Administrators only."))
        rows = []
        for name in self.demo.users.names():
            row = {"name": name, "email": self.demo.users.get(name)["email"], "view": None}
            try:
                row["view"] = self.demo.client.user(name)
            except Hsm2faError as e:
                message = message or e.user_message
            rows.append(row)
        self._send(200, pages.admin(user, self.session.csrf, rows, message, notice))

    def _admin_action(self, action):
        """Runs `action` (which returns the notice to show) for an administrator."""
        user = self._signed_in()
        if user is None or not user["admin"]:
            return self._send(403, pages.problem("Forbidden", "Administrators only."))
        try:
            notice = action()
        except Hsm2faError as e:
            return self.admin(message=e.user_message)
        self.admin(notice=notice)

    def admin_enable(self, form):
        name = form.get("user", "")

        def enable():
            self.demo.client.enable_two_factor(name)
            return f"Two-factor sign-in is on for {name}."

        self._admin_action(enable)

    def admin_unlock(self, form):
        name = form.get("user", "")

        def unlock():
            self.demo.client.unlock(name)
            return f"{name} is unlocked: the failure count is cleared."

        self._admin_action(unlock)

    def admin_bulk(self, form):
        names = [n for n in form.get("users", []) if self.demo.users.get(n)]
        if not names:
            return self.admin(message="Select at least one user.")

        def enable_all():
            results = self.demo.client.bulk_enable(names)
            failed = [r["user"] for r in results if not r["ok"]]
            return (f"Two-factor sign-in is on for {len(results) - len(failed)} users."
                    + (f" Failed: {', '.join(failed)}." if failed else ""))

        self._admin_action(enable_all)
