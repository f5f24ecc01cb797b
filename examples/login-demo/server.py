#!/usr/bin/python3
"""The login demo: a reference web backend that uses hsm2fad as its second factor.

    server.py serve --socket VAR/hsm2fa.sock --state DIR [--listen 127.0.0.1:8080]
    server.py add-user NAME [--email ADDRESS] [--admin] --state DIR   (password on stdin)

The state directory holds users.json (scrypt hashes) and, when hsm2fad is configured with
email.delivery = "caller" and no --smtp relay is given, the outgoing mail as files (mode 0600).
"""

import argparse
import email.message
import getpass
import os
import smtplib
import sys
import time

from app import Demo, make_handler
from hsm2fa_client import Hsm2faClient
from http.server import ThreadingHTTPServer
from users import UserStore


def mail_sender(state, relay):
    """How a code leaves when hsm2fad hands it to the backend (delivery "caller")."""

    def send(address, user, code):
        message = email.message.EmailMessage()
        message["From"], message["To"] = "login-demo@localhost", address
        message["Subject"] = "Your sign-in code"
        message.set_content(f"Hello {user},\n\nyour sign-in code is {code}.\n")
        if relay:
            host, _, port = relay.rpartition(":")
            with smtplib.SMTP(host, int(port), timeout=10) as smtp:
                smtp.send_message(message)
            return
        outbox = os.path.join(state, "mail")
        os.makedirs(outbox, mode=0o700, exist_ok=True)
        path = os.path.join(outbox, f"{user}-{time.time_ns()}.eml")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(bytes(message))

    return send


def serve(args):
    host, _, port = args.listen.rpartition(":")
    os.makedirs(args.state, mode=0o700, exist_ok=True)
    users = UserStore(os.path.join(args.state, "users.json"))
    client = Hsm2faClient(args.socket, tenant=args.tenant)
    demo = Demo(client, users, mail_sender(args.state, args.smtp), args.origin or host,
                not args.no_email_codes)
    try:
        server = ThreadingHTTPServer((host, int(port)), make_handler(demo))
    except OSError as e:  # the port taken, or an address not on this machine
        print(f"login-demo: cannot listen on {args.listen}: {e.strerror}", file=sys.stderr)
        return 1
    server.daemon_threads = True
    print(f"login-demo: listening on http://{args.listen}/ (hsm2fad at {args.socket})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def add_user(args):
    # The password never goes on the command line: a prompt on a terminal, else stdin's first line.
    if sys.stdin.isatty():
        password = getpass.getpass(f"Password for {args.name}: ")
    else:
        password = sys.stdin.readline().rstrip("\n")
    os.makedirs(args.state, mode=0o700, exist_ok=True)
    try:
        UserStore(os.path.join(args.state, "users.json")).add(args.name, password, args.email,
                                                              args.admin)
    except ValueError as e:
        print(f"add-user: {e}", file=sys.stderr)
        return 2
    print(f"add-user: {args.name} saved")
    return 0


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="serve the demo's pages")
    run.add_argument("--socket", required=True, help="hsm2fad's Unix socket")
    run.add_argument("--state", required=True, help="directory of users.json (and mail)")
    run.add_argument("--listen", default="127.0.0.1:8080", help="HOST:PORT for the browser")
    run.add_argument("--tenant", default="default", help="hsm2fa tenant of these users")
    run.add_argument("--origin", help="the site name shown on the phone (default: the host)")
    run.add_argument("--smtp", help="HOST:PORT relay for codes hsm2fad hands to the backend")
    run.add_argument("--no-email-codes", action="store_true",
                     help="no Send New Code (hsm2fad's [email] is off)")
    add = commands.add_parser("add-user", help="create or reset an account")
    add.add_argument("name")
    add.add_argument("--state", required=True)
    add.add_argument("--email", default="")
    add.add_argument("--admin", action="store_true")
    args = parser.parse_args(argv)
    return serve(args) if args.command == "serve" else add_user(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
