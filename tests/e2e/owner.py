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
