"""HTTP/1.1 over a Unix domain socket with the standard library only."""

import http.client
import json
import socket


class UnixHTTPConnection(http.client.HTTPConnection):
    """An HTTPConnection whose transport is a Unix socket; the Host header stays "localhost"."""

    def __init__(self, path, timeout=10):
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


SECRET_FIELDS = {"secret", "otpauth_uri", "code"}


class Response:
    def __init__(self, status, headers, data):
        self.status = status
        self.headers = headers  # http.client.HTTPMessage: case-insensitive get()
        self.data = data

    @property
    def text(self):
        return self.data.decode("utf-8", "replace")

    def summary(self, limit=300):
        """The body for an assertion message, with secret-bearing fields redacted."""
        try:
            body = json.loads(self.data)
        except ValueError:
            return self.text[:limit]
        if isinstance(body, dict):
            body = {k: ("<redacted>" if k in SECRET_FIELDS else v) for k, v in body.items()}
        return json.dumps(body)[:limit]

    def json(self):
        try:
            return json.loads(self.data)
        except ValueError:
            raise AssertionError(f"status {self.status}: body is not JSON: {self.summary()!r}")


def send(conn, method, path, body=None, headers=None):
    """One request on an open (or lazily opened) connection. A dict/list body becomes JSON;
    bytes/str are sent as they are."""
    headers = dict(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        body = body.encode()
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    return Response(r.status, r.headers, r.read())


def request(socket_path, method, path, body=None, headers=None, timeout=10):
    conn = UnixHTTPConnection(socket_path, timeout=timeout)
    try:
        return send(conn, method, path, body=body, headers=headers)
    finally:
        conn.close()


def raw_exchange(socket_path, data, timeout=10, shutdown_write=False):
    """Sends raw bytes and reads until the server closes; returns the bytes received."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(socket_path)
        try:
            s.sendall(data)
            if shutdown_write:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        chunks = []
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except (ConnectionResetError, socket.timeout):
            pass
        return b"".join(chunks)


def parse_raw_response(data):
    """(status, headers dict lower-cased, body bytes) of the first response in `data`."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", len(body)))
    return status, headers, body[:length]
