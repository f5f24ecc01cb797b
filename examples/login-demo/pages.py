"""The HTML of every screen. Plain pages: every value goes through `esc`, every form carries the
session's CSRF token, scripts and styles come from /static (the Content-Security-Policy allows
nothing inline). `<main data-screen=...>` names the screen for people and for the browser tests."""

from html import escape as esc


def _layout(title, screen, body, user=None, csrf="", extra_head=""):
    nav = ""
    if user:
        admin = '<a href="/admin">Admin</a> ' if user.get("admin") else ""
        nav = (f'<nav><a href="/">Start</a> <a href="/preferences">Preferences</a> {admin}'
               f'<form method="post" action="/logout" class="inline">{_csrf(csrf)}'
               f'<button type="submit" id="logout">Log out</button></form></nav>')
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>{esc(title)} - login demo</title>'
            f'<link rel="stylesheet" href="/static/demo.css">{extra_head}</head>'
            f'<body>{nav}<main data-screen="{screen}" data-csrf="{esc(csrf)}">'
            f'<h1>{esc(title)}</h1>{body}</main></body></html>')


def _csrf(token):
    return f'<input type="hidden" name="csrf" value="{esc(token)}">'


def _message(text, kind="error", ident="message"):
    if not text:
        return f'<p id="{ident}" class="message" hidden></p>'
    return f'<p id="{ident}" class="message {kind}" role="alert">{esc(text)}</p>'


def login(csrf, message=None):
    body = (f'{_message(message)}<form method="post" action="/login">{_csrf(csrf)}'
            '<label>Name <input name="name" id="name" autocomplete="username" required></label>'
            '<label>Password <input type="password" name="password" id="password" '
            'autocomplete="current-password" required></label>'
            '<button type="submit" id="sign-in">Sign in</button></form>')
    return _layout("Sign in", "login", body, csrf=csrf)


def code(csrf, name, message=None, notice=None, push=False, number=None, email=False):
    parts = [_message(message), _message(notice, "notice", "notice")]
    if push:
        hint = f" and tap <strong id=\"push-number\">{int(number)}</strong>" if number else ""
        parts.append(f'<p id="push-status" class="notice">We sent a request to your phone. '
                     f'Approve it{hint}: this page moves on by itself.</p>')
    parts.append(f'<form method="post" action="/code">{_csrf(csrf)}'
                 '<label>Code <input name="code" id="code" inputmode="numeric" '
                 'autocomplete="one-time-code" pattern="[0-9]{6,8}" maxlength="8" required></label>'
                 '<button type="submit" id="verify">Continue</button></form>')
    if email:
        parts.append(f'<form method="post" action="/code/email">{_csrf(csrf)}'
                     '<button type="submit" id="send-new-code">Send New Code</button></form>')
    parts.append(f'<p class="small">Signing in as {esc(name)}. '
                 '<a href="/login">Not you? Start again</a></p>')
    script = '<script src="/static/code.js" defer></script>' if push else ""
    return _layout("Code", "code", "".join(parts), csrf=csrf, extra_head=script)


def start(user, csrf, notice=None):
    body = (f'{_message(notice, "notice", "notice")}<p id="welcome">Welcome, {esc(user["name"])}. '
            'You are signed in.</p>')
    return _layout("Start", "start", body, user=user, csrf=csrf)


def _devices(csrf, devices):
    if not devices:
        return ('<p id="no-devices">No phone is registered. Register one with '
                '<code>examples/login-demo/phone register NAME</code>.</p>')
    rows = "".join(
        f'<tr><td>{esc(d["name"])}</td><td>{esc(d.get("created_at", ""))}</td><td>'
        f'<form method="post" action="/preferences/devices/remove" class="inline">{_csrf(csrf)}'
        f'<input type="hidden" name="device_id" value="{esc(d["device_id"])}">'
        f'<button type="submit">Remove</button></form></td></tr>' for d in devices)
    return f'<table id="devices"><tr><th>Phone</th><th>Registered</th><th></th></tr>{rows}</table>'


def preferences(user, csrf, view, devices, message=None, notice=None):
    totp = view["methods"]["totp"]
    state = {"none": "not paired", "pending": "waiting for confirmation", "active": "paired"}[totp]
    enabled = "on" if view["two_factor"]["enabled"] else "off"
    body = [_message(message), _message(notice, "notice", "notice"),
            f'<p>Two-factor sign-in is <strong id="two-factor">{enabled}</strong> for your '
            'account (your administrator decides).</p>',
            f'<h2>Authenticator app</h2><p>Status: <strong id="totp-state">{state}</strong></p>',
            '<label><input type="checkbox" id="show-pairing"> Show pairing code for '
            'authenticator apps</label>',
            '<div id="pairing" hidden><p>Scan the QR code or type this code into the app:</p>'
            '<p><code id="pairing-secret"></code></p><img id="pairing-qr" alt="QR code" hidden>'
            f'<form method="post" action="/preferences/confirm">{_csrf(csrf)}'
            '<label>Code shown by the app <input name="code" id="confirm-code" '
            'inputmode="numeric" maxlength="8" required></label>'
            '<button type="submit" id="confirm">Confirm</button></form></div>']
    if totp == "active":
        body.append(f'<form method="post" action="/preferences/replace">{_csrf(csrf)}'
                    '<button type="submit" id="replace">Replace authenticator</button></form>')
    body.append(f'<h2>Phones (push approval)</h2>{_devices(csrf, devices)}')
    return _layout("Preferences", "preferences", "".join(body), user=user, csrf=csrf,
                   extra_head='<script src="/static/preferences.js" defer></script>')


def _admin_row(csrf, row):
    name, view = row["name"], row.get("view")
    if view is None:
        cells = '<td colspan="4">unavailable</td>'
    else:
        cells = (f'<td>{"on" if view["two_factor"]["enabled"] else "off"}</td>'
                 f'<td>{esc(view["methods"]["totp"])}</td>'
                 f'<td>{int(view["methods"]["push_devices"])}</td>'
                 f'<td>{esc(view["locked_until"] or "")}</td>')
    action = (f'<form method="post" action="/admin/enable" class="inline">{_csrf(csrf)}'
              f'<input type="hidden" name="user" value="{esc(name)}">'
              f'<button type="submit" id="enable-{esc(name)}">Enable 2FA</button></form>'
              f'<form method="post" action="/admin/unlock" class="inline">{_csrf(csrf)}'
              f'<input type="hidden" name="user" value="{esc(name)}">'
              f'<button type="submit">Unlock</button></form>')
    return (f'<tr id="user-{esc(name)}"><td><input type="checkbox" name="users" form="bulk" '
            f'value="{esc(name)}"></td><td>{esc(name)}</td><td>{esc(row["email"])}</td>'
            f'{cells}<td>{action}</td></tr>')


def admin(user, csrf, rows, message=None, notice=None):
    table = "".join(_admin_row(csrf, row) for row in rows)
    body = (f'{_message(message)}{_message(notice, "notice", "notice")}'
            '<table id="users"><tr><th></th><th>User</th><th>Email</th><th>2FA</th>'
            '<th>Authenticator</th><th>Phones</th><th>Locked until</th><th></th></tr>'
            f'{table}</table><form method="post" action="/admin/bulk" id="bulk">{_csrf(csrf)}'
            '<button type="submit" id="bulk-enable">Enable 2FA for the selected users</button>'
            '</form>')
    return _layout("Users", "admin", body, user=user, csrf=csrf)


def problem(title, text, status_screen="problem"):
    return _layout(title, status_screen, f'{_message(text)}<p><a href="/">Back</a></p>')
