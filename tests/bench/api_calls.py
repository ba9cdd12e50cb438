#!/usr/bin/env python3
"""Benchmark: GET /api/calls (50 rows, with a filter) over 100,000 calls.

Starts a private PostgreSQL and httpd (the e2e stack), signs up an owner,
inserts CALLS call logs (a year of them, both languages, some emergencies)
for that business plus as many for a second business, then drives `wrk`
with the owner's session cookie at 50 concurrent connections against
`/api/calls?limit=50&language=es` and `/api/calls?limit=50&emergency=true`.
Prints requests/s and p50/p99. Target: p99 <= 20 ms at 50 concurrent.

    python3 tests/bench/api_calls.py [--duration 10] [--calls 100000] [--rates 0,1500]
Needs: wrk (Debian package wrk). Not part of `make check`.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))

import conftest  # noqa: E402
import stack  # noqa: E402
from owner import Owner  # noqa: E402


def run_wrk(url, cookie, connections, duration, rate=0):
    """wrk at `connections`; with `rate`, each connection pauses a random
    0.5-1.5 x connections/rate s after each answer (wrk's delay()), as people
    looking at dashboards do, for about `rate` requests/s in all."""
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency",
            "-H", f"Cookie: cortana_session={cookie}"]
    if rate:
        pause = max(1, connections * 1000 // rate)
        script = Path(tempfile.mktemp(suffix=".lua"))
        script.write_text(f"function delay() return math.random({pause // 2}, "
                          f"{pause * 3 // 2}) end\n")
        argv += ["-s", str(script)]
    out = subprocess.run(argv + [url], capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p50, p99, int(errors.group(1)) if errors else 0


def seed(pg, business_id, calls):
    pg.execute(
        "INSERT INTO call_logs (business_id, call_sid, from_number, to_number, started_at, "
        "ended_at, status, duration_s, disposition, language, emergency, summary) "
        "SELECT %s, 'CA' || md5(%s || g::text), '+1312555' || lpad((g %% 10000)::text, 4, '0'), "
        "'+13125550000', now() - make_interval(secs => g * 315), "
        "now() - make_interval(secs => g * 315 - 90), 'completed', 90, "
        "(ARRAY['booked','message_taken','question_answered','emergency_dispatched',"
        "'abandoned'])[1 + g %% 5], CASE WHEN g %% 3 = 0 THEN 'es' ELSE 'en' END, g %% 5 = 3, "
        "'Caller asked about a repair.' FROM generate_series(1, %s) g",
        (business_id, business_id, calls))
    pg.execute("ANALYZE call_logs")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--calls", type=int, default=100000)
    parser.add_argument("--rates", default="0,1500",
                        help="requests/s in all (0: as fast as the server answers)")
    args = parser.parse_args()
    pg = stack.Postgres(stack.make_state_dir("bench-pg"), stack.free_port())
    pg.init()
    pg.start()
    pg.create_database("cortana")
    pg.migrate("cortana", conftest.BUILDDIR / "tools" / "cortana-admin", conftest.SRCDIR / "sql")
    pg.create_app_role("cortana")
    web = conftest.Httpd(pg, extra_conf="StartServers 2\nThreadsPerChild 64\n"
                                        "MaxRequestWorkers 256\nServerLimit 4\n"
                                        "LogLevel warn")
    web.start()
    try:
        owner, other = Owner(web), Owner(web)
        assert owner.signup("bench@example.com").status == 201
        assert other.signup("other@example.com").status == 201
        seed(pg, owner.me["business"]["id"], args.calls)
        seed(pg, other.me["business"]["id"], args.calls)
        print(f"GET /api/calls: {args.calls} calls for the owner (+{args.calls} of another "
              f"business), 50 rows per page, {args.duration} s per run, PostgreSQL and wrk on "
              f"this {os.cpu_count()}-core machine")
        print(f"{'request':>54} {'load':>10} {'conns':>6} {'req/s':>8} {'p50':>9} {'p99':>9} "
              f"{'non-2xx':>8}")
        for rate in (int(r) for r in args.rates.split(",")):
            for path in ("/api/calls?limit=50&language=es", "/api/calls?limit=50&emergency=true",
                         "/api/calls?limit=50&disposition=booked&from=2026-01-01"):
                rps, p50, p99, errors = run_wrk(web.url + path, owner.cookie, 50, args.duration,
                                                rate)
                load = f"{rate}/s" if rate else "flat out"
                print(f"{path:>54} {load:>10} {50:>6} {rps:>8.0f} {p50:>9} {p99:>9} "
                      f"{errors:>8}")
        # Analytics over a year: one owner looking at the dashboard, not a crowd.
        year_ago = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 365 * 86400))
        times = []
        for _ in range(20):
            t0 = time.time()
            resp = owner.get(f"/analytics?from={year_ago}")
            times.append((time.time() - t0) * 1000)
            assert resp.status == 200 and resp.json()["calls"] >= args.calls * 0.99, resp.text
        times.sort()
        print(f"GET /api/analytics over a year ({args.calls} calls), one at a time: "
              f"median {times[10]:.0f} ms, max {times[-1]:.0f} ms")
    finally:
        web.stop()
        pg.stop()
        pg.remove()


if __name__ == "__main__":
    main()
