#!/usr/bin/env python3
"""Benchmark: signed /twilio/gather turns against the real stack.

Starts a private PostgreSQL and httpd (the e2e stack), creates a business and
CALLS live calls, then drives `wrk` at 50 and 200 concurrent connections with
pre-signed gather requests ("what are your hours?" — a full turn: signature
check, call and business lookup under RLS, dialog, two transcript rows, state
save, ring events). Prints turns/s, p50/p99 latency and httpd CPU per turn
(the module's process tree; PostgreSQL excluded).

httpd runs 2 children x 128 threads with BENCH_POOL (default 4) PostgreSQL
connections each: on 2 cores a few busy connections beat many (with 64 per
child the p99 at 200 connections was ~0.9 s, with 4 it is ~0.25 s, at the
same throughput), so requests queue in httpd, not in PostgreSQL's scheduler.

    BENCH_POOL=4 python3 tests/bench/gather_turns.py [--duration 10] [--calls 400]
Needs: wrk (Debian package wrk). Not part of `make check`.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))

import conftest  # noqa: E402
import test_calls  # noqa: E402
from test_calls import call_params, make_business, new_sid, sign, webhook  # noqa: E402
import stack  # noqa: E402


def tree_cpu_seconds(root_pid):
    """CPU seconds (user+sys) of `root_pid` and all its descendants."""
    children = {}
    stats = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(") ", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        children.setdefault(ppid, []).append(pid)
        stats[pid] = (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14]))
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, 0)
        todo.extend(children.get(pid, []))
    return total / os.sysconf("SC_CLK_TCK")


def lua_script(path, bodies):
    lines = ["local requests = {}"]
    for body, sig in bodies:
        lines.append(f'requests[#requests + 1] = wrk.format("POST", "/twilio/gather", '
                     f'{{["Host"] = "127.0.0.1", ["Content-Type"] = "application/x-www-form-urlencoded", '
                     f'["X-Twilio-Signature"] = "{sig}"}}, "{body}")')
    lines += ["local i = 0",
              "request = function() i = i % #requests + 1 return requests[i] end"]
    Path(path).write_text("\n".join(lines) + "\n")


def run_wrk(url, script, connections, duration):
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency",
                          "-s", script, url], capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p50, p99, total, int(errors.group(1)) if errors else 0


def main():
    from urllib.parse import urlencode
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    pg = stack.Postgres(stack.make_state_dir("bench-pg"), stack.free_port())
    pg.init()
    pg.start()
    pg.create_database("cortana")
    pg.migrate("cortana", conftest.BUILDDIR / "tools" / "cortana-admin", conftest.SRCDIR / "sql")
    pg.create_app_role("cortana")
    pool = os.environ.get("BENCH_POOL", "4")
    web = conftest.Httpd(pg, extra_conf="ServerLimit 2\nStartServers 2\nThreadsPerChild 128\n"
                                        "MaxRequestWorkers 256\nMinSpareThreads 256\n"
                                        f"CortanaDatabasePoolMax {pool}\nLogLevel warn")
    web.start()
    try:
        bid, number = make_business(pg, settings={"overflow_limit": 100000})
        bodies = []
        for _ in range(args.calls):
            sid = new_sid()
            assert webhook(web, "/twilio/voice", call_params(sid, number)).status == 200
            params = call_params(sid, number, SpeechResult="what are your hours",
                                 Confidence="0.92")
            bodies.append((urlencode(params), sign(web.public_url + "/twilio/gather", params)))
        script = tempfile.mktemp(suffix=".lua")
        lua_script(script, bodies)
        print(f"gather turns: {args.calls} live calls, {args.duration} s per run, "
              f"httpd event MPM (2 x 128 threads), {2 * int(pool)} PostgreSQL connections "
              f"(BENCH_POOL={pool} per child), PostgreSQL and wrk on this "
              f"{os.cpu_count()}-core machine")
        print(f"{'connections':>11} {'turns/s':>9} {'p50':>9} {'p99':>9} {'non-2xx':>8} "
              f"{'httpd CPU/turn':>15}")
        for connections in (50, 200):
            cpu0 = tree_cpu_seconds(web.pid())
            rps, p50, p99, total, errors = run_wrk(web.url, script, connections, args.duration)
            cpu = tree_cpu_seconds(web.pid()) - cpu0
            print(f"{connections:>11} {rps:>9.0f} {p50:>9} {p99:>9} {errors:>8} "
                  f"{cpu / max(total, 1) * 1e6:>12.0f} us")
    finally:
        web.stop()
        pg.stop()
        pg.remove()


if __name__ == "__main__":
    main()
