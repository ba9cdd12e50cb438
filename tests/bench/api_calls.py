#!/usr/bin/env python3
"""Benchmark: GET /api/calls (50 rows, with a filter) over 100,000 calls.

Starts a private PostgreSQL and httpd (the e2e stack), signs up an owner,
inserts CALLS call logs (a year of them, both languages, some emergencies)
for that business plus as many for a second business, then drives `wrk`
with the owner's session cookie at 50 concurrent connections against
`/api/calls?limit=50&language=es` and `/api/calls?limit=50&emergency=true`.
Prints requests/s and p50/p99. Target: p99 <= 20 ms at 50 concurrent.

    python3 tests/bench/api_calls.py [--duration 10] [--calls 100000] [--rates 0,1500]
        [--paths N,…] [--pgss] [--perf FILE] [--hold] [--extra-conf 'Directive v\\n…']
    --paths     only these of the three request paths (0-based)
    --pgss      load pg_stat_statements and print the statements of each run
    --perf FILE record `perf record -a -g` of each run into FILE.<rate>.<path>
    --hold      keep the stack running after the runs until Enter (to poke it)
    --extra-conf httpd directives instead of DEFAULT_CONF (below)
httpd us/req and PG us/req are the CPU time (user+sys) of httpd's and
PostgreSQL's process trees over a run, divided by the requests answered.
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
from gather_turns import perf_record, postmaster_pid, tree_cpu_seconds  # noqa: E402
from owner import Owner  # noqa: E402

# httpd as a 2-core host should run it (see README, Benchmarks): one child
# of 64 threads, keep-alive connections not cut every 100 requests, and 4
# PostgreSQL connections (2 per core; threads beyond them wait in line for
# one, first come first served, without using CPU). With two children of 8
# connections each (16 backends on 2 cores) throughput was the same but
# p99 was 0.2-0.6 s; with two children of 2, ~25-35 ms and, even with the
# API's first-come-first-served gate, bimodal: each child queues on its own,
# and wrk's 50 connections split unevenly between them.
DEFAULT_CONF = ("StartServers 1\nServerLimit 1\nThreadsPerChild 64\nMaxRequestWorkers 64\n"
                "MinSpareThreads 1\nMaxSpareThreads 64\nMaxKeepAliveRequests 0\n"
                "CortanaDatabasePoolMax 4")

PATHS = ("/api/calls?limit=50&language=es", "/api/calls?limit=50&emergency=true",
         "/api/calls?limit=50&disposition=booked&from=2026-01-01")


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
    total = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p50, p99, int(errors.group(1)) if errors else 0, total


def print_statements(pg, n):
    for calls, us, max_ms, query in pg.query(
            "SELECT calls, round((total_exec_time + total_plan_time)::numeric * 1000 / calls), "
            "round(max_exec_time::numeric, 1), regexp_replace(query, '\\s+', ' ', 'g') "
            "FROM pg_stat_statements WHERE calls > 100 ORDER BY calls DESC LIMIT 8",
            uri=pg.uri("cortana_owner", pg.owner_password, "cortana")):
        print(f"{'':>54} {calls / n:5.2f}/req {us:6} us (max {max_ms:6.1f} ms)  {query[:70]}")


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
    parser.add_argument("--paths", default="0,1,2")
    parser.add_argument("--pgss", action="store_true")
    parser.add_argument("--perf")
    parser.add_argument("--hold", action="store_true")
    parser.add_argument("--extra-conf", default=DEFAULT_CONF,
                        help="httpd directives added to the dev config (\\n between them)")
    args = parser.parse_args()
    pg = stack.Postgres(stack.make_state_dir("bench-pg"), stack.free_port())
    pg.init()
    if args.pgss:
        with open(pg.datadir / "postgresql.auto.conf", "a") as f:
            f.write("shared_preload_libraries = 'pg_stat_statements'\n"
                    "pg_stat_statements.track = all\n")
    pg.start()
    pg.create_database("cortana")
    pg.migrate("cortana", conftest.BUILDDIR / "tools" / "cortana-admin", conftest.SRCDIR / "sql")
    pg.create_app_role("cortana")
    if args.pgss:
        pg.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
                   uri=pg.uri("cortana_owner", pg.owner_password, "cortana"))
    web = conftest.Httpd(pg, extra_conf="LogLevel warn\n" + args.extra_conf.replace("\\n", "\n"))
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
              f"{'non-2xx':>8} {'httpd us/req':>13} {'PG us/req':>10}")
        pm = postmaster_pid(pg)
        for rate in (int(r) for r in args.rates.split(",")):
            for i in (int(p) for p in args.paths.split(",")):
                path = PATHS[i]
                if args.pgss:
                    pg.query("SELECT pg_stat_statements_reset()",
                             uri=pg.uri("cortana_owner", pg.owner_password, "cortana"))
                perf = perf_record(f"{args.perf}.{rate}.{i}", args.duration) if args.perf else None
                cpu0, pgcpu0 = tree_cpu_seconds(web.pid()), tree_cpu_seconds(pm)
                rps, p50, p99, errors, total = run_wrk(web.url + path, owner.cookie, 50,
                                                       args.duration, rate)
                cpu = tree_cpu_seconds(web.pid()) - cpu0
                pgcpu = tree_cpu_seconds(pm) - pgcpu0
                if perf:
                    perf.wait()
                n = max(total, 1)
                load = f"{rate}/s" if rate else "flat out"
                print(f"{path:>54} {load:>10} {50:>6} {rps:>8.0f} {p50:>9} {p99:>9} "
                      f"{errors:>8} {cpu / n * 1e6:>13.0f} {pgcpu / n * 1e6:>10.0f}")
                if args.pgss:
                    print_statements(pg, n)
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
        if args.hold:
            print(f"httpd {web.url} (pid {web.pid()}), PostgreSQL {pg.owner_uri}, "
                  f"cookie {owner.cookie}; Enter stops")
            input()
    finally:
        web.stop()
        pg.stop()
        pg.remove()


if __name__ == "__main__":
    main()
