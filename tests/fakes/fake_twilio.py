"""A fake of Twilio's REST API (2010-04-01) for the tests, stdlib only.

It speaks the real wire protocol (PROTOCOLS.md D): form-encoded POSTs with
HTTP Basic auth (account SID : auth token), JSON answers shaped like
Twilio's, and Twilio's error JSON ({"code","message","more_info","status"})
for bad credentials and bad parameters. It records every request so tests
can assert on what Cortana sent, and it can be told to fail:

    POST /_fake/fail    {"status": 500, "count": 2}  next 2 requests get 500
    POST /_fake/refuse  {"to": "+1312…"}             texts to that number get a
                                                     400 (21610, unsubscribed), always
    GET  /_fake/messages                             what was received
    POST /_fake/reset

Use in-process (FakeTwilio(...).start()) or as a program:
    python3 tests/fakes/fake_twilio.py --port 9000 --account-sid AC… --auth-token T
"""
import argparse
import base64
import json
import re
import secrets
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages\.json$")
CALLS = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Calls/(CA[0-9a-fA-F]{32})\.json$")


def twilio_error(status, code, message):
    return status, {"code": code, "message": message,
                    "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


class FakeTwilio:
    def __init__(self, account_sid, auth_token, port=0):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages = []
        self.call_updates = []
        self.requests = 0
        self.failures = []  # statuses to answer with, in order
        self.refused = set()  # numbers whose texts are refused for good (400)
        self.refusals = []  # {"to", "at"}: each text refused that way, when
        self.received_at = {}  # message sid -> when it was received (time.time())
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status, doc):
                body = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path == "/_fake/messages":
                    with fake.lock:
                        return self.reply(200, {"messages": fake.messages,
                                                "call_updates": fake.call_updates})
                self.reply(*twilio_error(404, 20404, "The requested resource was not found"))

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length).decode()
                if self.path.startswith("/_fake/"):
                    return self.control(raw)
                with fake.lock:
                    fake.requests += 1
                    fail = fake.failures.pop(0) if fake.failures else None
                if fail:
                    return self.reply(*twilio_error(fail, 20500, "Internal Server Error"))
                if not self.authorized():
                    return self.reply(*twilio_error(401, 20003, "Authenticate"))
                params = dict(parse_qsl(raw, keep_blank_values=True))
                m = MESSAGES.match(self.path)
                if m:
                    return self.send_message(m.group(1), params)
                m = CALLS.match(self.path)
                if m:
                    with fake.lock:
                        fake.call_updates.append({"call_sid": m.group(2), **params})
                    return self.reply(200, {"sid": m.group(2), "status": "in-progress"})
                self.reply(*twilio_error(404, 20404, "The requested resource was not found"))

            def authorized(self):
                header = self.headers.get("Authorization", "")
                if not header.startswith("Basic "):
                    return False
                try:
                    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                except ValueError:
                    return False
                return user == fake.account_sid and password == fake.auth_token

            def send_message(self, account, params):
                if account != fake.account_sid:
                    return self.reply(*twilio_error(401, 20003, "Authenticate"))
                to, from_, body = params.get("To"), params.get("From"), params.get("Body")
                if not to:
                    return self.reply(*twilio_error(400, 21604, "A 'To' phone number is required."))
                if not from_:
                    return self.reply(*twilio_error(400, 21603, "A 'From' phone number is required."))
                if not body:
                    return self.reply(*twilio_error(400, 21602, "Message body is required."))
                with fake.lock:
                    refused = to in fake.refused
                    if refused:
                        fake.refusals.append({"to": to, "at": time.time()})
                if refused:
                    return self.reply(*twilio_error(400, 21610,
                                                    "Attempt to send to unsubscribed recipient"))
                if not E164.match(to):
                    return self.reply(*twilio_error(400, 21211,
                                                    f"The 'To' number {to} is not a valid phone number."))
                sid = "SM" + secrets.token_hex(16)
                record = {"sid": sid, "to": to, "from": from_, "body": body,
                          "status": "queued", "account_sid": account,
                          "date_created": formatdate(usegmt=True), "num_segments": "1",
                          "direction": "outbound-api", "api_version": "2010-04-01",
                          "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json"}
                with fake.lock:
                    fake.messages.append(record)
                    fake.received_at[sid] = time.time()
                self.reply(201, record)

            def control(self, raw):
                if self.path == "/_fake/fail":
                    doc = json.loads(raw or "{}")
                    with fake.lock:
                        fake.failures.extend([doc.get("status", 500)] * doc.get("count", 1))
                    return self.reply(200, {"ok": True})
                if self.path == "/_fake/refuse":
                    doc = json.loads(raw or "{}")
                    with fake.lock:
                        fake.refused.add(doc["to"])
                    return self.reply(200, {"ok": True})
                if self.path == "/_fake/reset":
                    with fake.lock:
                        fake.refused.clear()
                        fake.messages.clear()
                        fake.call_updates.clear()
                        fake.failures.clear()
                    return self.reply(200, {"ok": True})
                self.reply(404, {"ok": False})

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def refuse(self, number):
        """Refuse every text to `number` with a 400, as Twilio does for an
        unsubscribed or unreachable recipient: a failure no retry fixes."""
        with self.lock:
            self.refused.add(number)

    def fail_next(self, status=500, count=1):
        with self.lock:
            self.failures.extend([status] * count)

    def sent(self):
        with self.lock:
            return list(self.messages)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--account-sid", default="AC" + "0" * 32)
    parser.add_argument("--auth-token", default="fake-token")
    args = parser.parse_args()
    fake = FakeTwilio(args.account_sid, args.auth_token, args.port)
    print(f"fake Twilio on {fake.url}", flush=True)
    fake.server.serve_forever()
