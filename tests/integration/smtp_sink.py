"""A real SMTP server on loopback (Debian's python3-aiosmtpd) that keeps what it receives."""

import email
import re
import socket
import threading

from aiosmtpd.controller import Controller


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Inbox:
    def __init__(self):
        self.messages = []
        self.lock = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            self.lock.notify_all()
        return "250 Message accepted"


class SmtpSink:
    def __init__(self):
        self.port = free_port()
        self.inbox = _Inbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def count(self):
        with self.inbox.lock:
            return len(self.inbox.messages)

    def wait_message(self, after, timeout=10):
        """The message number `after` (0-based), parsed; waits for it to arrive."""
        with self.inbox.lock:
            if not self.inbox.lock.wait_for(lambda: len(self.inbox.messages) > after, timeout):
                raise AssertionError("no message reached the SMTP server")
            mail_from, rcpt, content = self.inbox.messages[after]
        return mail_from, rcpt, email.message_from_bytes(content)


def code_in(message, digits=6):
    body = message.get_payload(decode=True).decode("utf-8")
    found = re.findall(r"\b(\d{%d})\b" % digits, body)
    if len(found) != 1:
        raise AssertionError("the message does not hold exactly one code")
    return found[0]
