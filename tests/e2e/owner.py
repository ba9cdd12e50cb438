"""An owner's HTTP client for the REST API: keeps the session cookie and
sends the CSRF token on every request that changes something, like the
dashboard does."""
import itertools
import json

import stack

_numbers = itertools.count(1)


def fresh_number():
    """A business phone number no other test uses (E.164, NANP 555 range)."""
    import os
    return f"+1312{(os.getpid() % 90) + 10:02d}{next(_numbers):05d}"


class Owner:
    def __init__(self, web):
        self.web = web
        self.cookie = None
        self.csrf = None
        self.me = None

    def request(self, method, path, body=None, headers=None, csrf=True, raw=None):
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = f"cortana_session={self.cookie}"
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        resp = stack.http_request(method, self.web.url + "/api" + path, body=data, headers=h)
        cookie = resp.header("Set-Cookie")
        if cookie and cookie.startswith("cortana_session="):
            value = cookie.split(";", 1)[0].split("=", 1)[1]
            self.cookie = value or None
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def _remember(self, resp):
        if resp.status in (200, 201):
            self.me = resp.json()
            self.csrf = self.me["csrf_token"]
        return resp

    def signup(self, email, password="correct horse battery", name="Test Plumbing", number=None,
               **extra):
        body = {"business_name": name, "phone_number": number or fresh_number(), "email": email,
                "password": password, **extra}
        return self._remember(self.post("/signup", body))

    def login(self, email, password="correct horse battery"):
        return self._remember(self.post("/login", {"email": email, "password": password}))


class EventStream:
    """A Server-Sent Events reader on GET /api/transcripts."""

    def __init__(self, owner, last_event_id=None, timeout=10, query=None):
        import socket
        from urllib.parse import urlsplit
        parts = urlsplit(owner.web.url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        target = "/api/transcripts" + (f"?{query}" if query else "")
        headers = [f"GET {target} HTTP/1.1", f"Host: {parts.hostname}",
                   "Accept: text/event-stream"]
        if owner.cookie:
            headers.append(f"Cookie: cortana_session={owner.cookie}")
        if last_event_id is not None:
            headers.append(f"Last-Event-ID: {last_event_id}")
        self.sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        self.buf = b""
        head = self._read_until(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1])
        self.headers = head.decode("latin-1")
        self.chunked = "transfer-encoding: chunked" in self.headers.lower()
        self.text = ""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("stream closed")
        self.buf += data

    def _read_until(self, marker):
        while marker not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(marker, 1)
        return head

    def _decode(self):
        """Move whole chunks from buf into text."""
        if not self.chunked:
            self.text += self.buf.decode()
            self.buf = b""
            return
        while b"\r\n" in self.buf:
            size_line, rest = self.buf.split(b"\r\n", 1)
            size = int(size_line, 16)
            if len(rest) < size + 2:
                return
            self.text += rest[:size].decode()
            self.buf = rest[size + 2:]

    def next_event(self, timeout=10):
        """The next event as a dict (id, event, data), skipping comments."""
        import json as _json
        import time as _time
        deadline = _time.time() + timeout
        self._decode()  # body bytes that came in with the headers
        while True:
            while "\n\n" in self.text:
                block, self.text = self.text.split("\n\n", 1)
                ev = {}
                for line in block.split("\n"):
                    if line.startswith(":") or not line:
                        continue
                    key, _, value = line.partition(": ")
                    ev[key] = value
                if "data" in ev:
                    ev["data"] = _json.loads(ev["data"])
                    return ev
            remaining = deadline - _time.time()
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                self._fill()
            except TimeoutError:
                return None
            self._decode()

    def close(self):
        self.sock.close()
