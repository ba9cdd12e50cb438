#!/usr/bin/env python3
"""Benchmark: the live feed's fan-out (GET /api/transcripts).

Starts a private PostgreSQL and httpd (the e2e stack, sized for the viewers:
event MPM, 10 x 64 threads), signs up BUSINESSES owners and connects VIEWERS
SSE viewers spread evenly over them. Then simulated calls produce transcript
events at RATE events/s for DURATION seconds through the real path — signed
/twilio/gather webhooks, each turn writing the caller's line, Cortana's line
and a call.updated event to the ring. Every caller line carries a nonce;
each viewer of that business must receive it.

Prints: events/s produced, messages delivered, lost (expected − received),
and p50/p99 of the delay from sending the webhook to a viewer's receipt —
an upper bound on ring write → receipt (it includes the turn's own
processing before the ring write). Target: p99 <= 100 ms, no loss.

    python3 tests/bench/sse_fanout.py [--viewers 500] [--businesses 10] [--rate 200]
Not part of `make check`.
"""
import argparse
import json
import os
import selectors
import socket
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))

import conftest  # noqa: E402
import stack  # noqa: E402
from owner import Owner  # noqa: E402
from test_calls import call_params, new_sid, sign  # noqa: E402

ALL_DAY = {d: [{"open": "00:00", "close": "24:00"}] for d in (
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}


class Viewer:
    def __init__(self, web, owner, business):
        self.business = business
        self.sock = socket.create_connection(("127.0.0.1", web.port))
        self.sock.sendall((f"GET /api/transcripts HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           f"Cookie: cortana_session={owner.cookie}\r\n\r\n").encode())
        self.sock.setblocking(False)
        self.buf = b""
        self.header_done = False


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))] if values else float("nan")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--viewers", type=int, default=500)
    parser.add_argument("--businesses", type=int, default=10)
    parser.add_argument("--rate", type=int, default=200, help="events per second")
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    pg = stack.Postgres(stack.make_state_dir("bench-pg"), stack.free_port())
    pg.init()
    pg.start()
    pg.create_database("cortana")
    pg.migrate("cortana", conftest.BUILDDIR / "tools" / "cortana-admin", conftest.SRCDIR / "sql")
    pg.create_app_role("cortana")
    web = conftest.Httpd(pg, extra_conf="ServerLimit 10\nStartServers 10\nThreadsPerChild 64\n"
                                        "MaxRequestWorkers 640\nCortanaDatabasePoolMax 32\n"
                                        "CortanaEventRingSize 65536\nLogLevel warn")
    web.start()
    try:
        owners = []
        for b in range(args.businesses):
            o = Owner(web)
            assert o.signup(f"fan{b}@example.com", number=f"+1312777{b:04d}").status == 201
            o.patch("/business", {"hours": ALL_DAY, "settings": {"overflow_limit": 100}})
            owners.append(o)
        viewers = [Viewer(web, owners[i % len(owners)], i % len(owners))
                   for i in range(args.viewers)]
        sel = selectors.DefaultSelector()
        for v in viewers:
            sel.register(v.sock, selectors.EVENT_READ, v)
        sent = {}          # nonce -> (business, time sent)
        received = {}      # nonce -> [delays]
        stop = threading.Event()

        def reader():
            while not stop.is_set() or time.time() < stop_at[0]:
                for key, _ in sel.select(timeout=0.1):
                    v = key.data
                    try:
                        data = v.sock.recv(65536)
                    except BlockingIOError:
                        continue
                    now = time.time()
                    v.buf += data
                    while b"\n\n" in v.buf:
                        block, v.buf = v.buf.split(b"\n\n", 1)
                        for line in block.split(b"\n"):
                            if line.startswith(b"data: ") and b"nonce-" in line:
                                text = json.loads(line[6:])["text"]
                                nonce = text.split("nonce-", 1)[1].split()[0]
                                if nonce in sent:
                                    received.setdefault(nonce, []).append(now - sent[nonce][1])

        stop_at = [float("inf")]
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        time.sleep(1.0)

        turns_per_s = args.rate / 3.0  # caller line + Cortana's line + call.updated
        workers = 8
        counter = [0]
        lock = threading.Lock()

        def caller(w):
            interval = workers / turns_per_s
            calls = {}
            next_at = time.time()
            while not stop.is_set():
                with lock:
                    n = counter[0]
                    counter[0] += 1
                b = n % len(owners)
                number = owners[b].me["business"]["phone_number"]
                sid = calls.get(b)
                if sid is None or n % 12 == 0:
                    sid = new_sid()
                    calls[b] = sid
                    stack.http_request("POST", web.url + "/twilio/voice",
                                       body=urlencode(call_params(sid, number)),
                                       headers=signed(web, "/twilio/voice",
                                                      call_params(sid, number)))
                nonce = f"{w}x{n}"
                params = call_params(sid, number, SpeechResult=f"what are your hours nonce-{nonce}",
                                     Confidence="0.9")
                sent[nonce] = (b, time.time())
                stack.http_request("POST", web.url + "/twilio/gather", body=urlencode(params),
                                   headers=signed(web, "/twilio/gather", params))
                next_at += interval
                time.sleep(max(0, next_at - time.time()))

        threads = [threading.Thread(target=caller, args=(w,), daemon=True) for w in range(workers)]
        start = time.time()
        for th in threads:
            th.start()
        time.sleep(args.duration)
        stop.set()
        for th in threads:
            th.join()
        elapsed = time.time() - start
        stop_at[0] = time.time() + 2.0  # let the last events arrive
        t.join()
        per_business = args.viewers / args.businesses
        expected = int(len(sent) * per_business)
        delays = [d for ds in received.values() for d in ds]
        ring_events = web.get("/healthz").json().get("ring", {})
        print(f"SSE fan-out: {args.viewers} viewers over {args.businesses} businesses, "
              f"{args.duration} s, httpd event MPM, PostgreSQL and the clients on this "
              f"{os.cpu_count()}-core machine")
        print(f"caller turns sent: {len(sent)} ({len(sent) / elapsed:.0f}/s, about "
              f"{3 * len(sent) / elapsed:.0f} ring events/s); ring: {ring_events}")
        print(f"caller lines delivered: {len(delays)} of {expected} expected "
              f"(lost {expected - len(delays)})")
        print(f"webhook sent -> viewer received: p50 {percentile(delays, 50) * 1000:.1f} ms, "
              f"p99 {percentile(delays, 99) * 1000:.1f} ms, max {max(delays or [0]) * 1000:.1f} ms")
        for v in viewers:
            v.sock.close()
    finally:
        web.stop()
        pg.stop()
        pg.remove()


def signed(web, path, params):
    return {"Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": sign(web.public_url + path, params)}


if __name__ == "__main__":
    main()
