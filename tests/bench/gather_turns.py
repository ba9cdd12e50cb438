#!/usr/bin/env python3
"""Benchmark: signed /twilio/gather turns against the real stack.

Starts a private PostgreSQL and httpd (the e2e stack), creates a business and
CALLS live calls, then drives `wrk` at 50 and 200 concurrent connections with
pre-signed gather requests ("what are your hours?" — a full turn: signature
check, call and business lookup under RLS, dialog, two transcript rows, state
save, ring events). Like Twilio, no two turns of one call are in flight at
once: each wrk thread plays its own share of the calls, round robin.

Prints, per run: turns/s, p50/p99 latency, non-2xx responses, the CPU time
per turn of httpd (the module's process tree) and of PostgreSQL (the
postmaster's tree), and the SQL statements per turn (transactions committed
in the database, every statement being its own transaction).

    python3 tests/bench/gather_turns.py [--duration 10] [--calls 2000]
        [--connections 50,200] [--rate TURNS_PER_S] [--pgss] [--perf FILE] [--hold]
        [--module-cpu] [--floor]
    --rate N    paced load: each connection pauses between turns (0.5-1.5 x
                connections/N s, wrk's delay()) so that about N turns/s arrive in
                all, as callers do; without it, as fast as the server answers
    --pgss      load pg_stat_statements and print the statements of the run
    --perf FILE record `perf record -a -g` of each run into FILE.<connections>
    --hold      keep the stack running after the runs until Enter (to poke it)
    --module-cpu
                also print the module's own CPU per turn: the load is run again
                with httpd's children sampled (perf record, DWARF call stacks); the
                samples inside the module's Twilio handler that are not in libpq —
                the PostgreSQL client's work and its system calls — are that share
                of httpd's CPU per turn in the unsampled run.
    --floor     also run the same load against a static file (the dashboard's
                favicon): httpd's own CPU per request with no module work, the
                floor under every figure above (it moves with the machine's
                load from outside, so compare figures of one invocation). The rest of httpd's time is its own HTTP work
                (connections, request parsing, output, logging).
Needs: wrk (Debian package wrk). Not part of `make check`. Run it with
CORTANA_BUILDDIR and CORTANA_SRCDIR set as `make check-e2e` does.
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))

import conftest  # noqa: E402
from test_calls import call_params, make_business, new_sid, sign, webhook  # noqa: E402
import stack  # noqa: E402


def tree_cpu_seconds(root_pid):
    """CPU seconds (user+sys) of `root_pid` and all its descendants, living
    or reaped (cutime/cstime count children that exited)."""
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


def perf_record(out, seconds, pids=None):
    """`perf record` into `out` for `seconds`, in the background: system-wide
    with frame-pointer stacks, or of `pids` with DWARF stacks (they unwind
    httpd's modules, which have no frame pointers). Returns the process."""
    target = (["-a", "-g"] if pids is None else
              ["-F", "499", "--call-graph", "dwarf,8192", "-p", ",".join(pids)])
    return subprocess.Popen(["perf", "record", "-q", *target, "-o", out, "--", "sleep",
                             str(seconds)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def httpd_children(web):
    parent = web.pid()
    pids = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                if int(f.read().rsplit(") ", 1)[1].split()[1]) == parent:
                    pids.append(entry)
        except (OSError, ValueError, IndexError):
            continue
    return pids


def module_share(perf_file):
    """(share of httpd samples in the Twilio handler outside libpq, samples,
    Counter of those samples' leaf functions)."""
    out = subprocess.run(["perf", "script", "-i", perf_file, "-F", "comm,ip,sym,dso"],
                         capture_output=True, text=True).stdout
    total = module = 0
    leaves = collections.Counter()
    for block in out.split("\n\n"):
        frames = block.strip().splitlines()
        if not frames or frames[0].strip() not in ("apache2", "httpd"):
            continue
        total += 1
        stack = "\n".join(frames[1:])
        if " twilio_handler " in stack and "libpq" not in stack:
            module += 1
            leaf = frames[1].split(None, 1)[1] if len(frames) > 1 else "?"
            leaves[leaf.rsplit(" (", 1)[0].split("+0x")[0]] += 1
    return (module / total if total else 0.0), total, leaves


def postmaster_pid(pg):
    return int((pg.datadir / "postmaster.pid").read_text().split()[0])


def lua_script(path, bodies, pause_ms=None):
    """wrk script: thread n of N plays calls n, n+N, n+2N, … in turn, so that
    two turns of one call are never sent at once. With `pause_ms`, each
    connection waits a random 0.5–1.5 × pause_ms after each answer (wrk's
    delay()), as a caller pauses between turns: a paced load at about
    connections / pause turns per second instead of as fast as possible."""
    lines = ["local requests = {}"]
    for body, sig in bodies:
        lines.append(f'requests[#requests + 1] = wrk.format("POST", "/twilio/gather", '
                     f'{{["Host"] = "127.0.0.1", ["Content-Type"] = "application/x-www-form-urlencoded", '
                     f'["X-Twilio-Signature"] = "{sig}"}}, "{body}")')
    lines += ["local threads = 0",
              "function setup(thread) thread:set('tid', threads) threads = threads + 1 end",
              "local mine, i = {}, 0",
              "function init(args)",
              "  for k = tid + 1, #requests, 2 do mine[#mine + 1] = requests[k] end",
              "end",
              "request = function() i = i % #mine + 1 return mine[i] end"]
    if pause_ms:
        lines += [f"function delay() return math.random({pause_ms // 2}, {pause_ms * 3 // 2}) end"]
    Path(path).write_text("\n".join(lines) + "\n")


def run_wrk(url, script, connections, duration):
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency",
                          "-s", script, url], capture_output=True, text=True).stdout
    try:
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
        p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
        total = int(re.search(r"(\d+) requests in", out).group(1))
    except AttributeError:
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return rps, p50, p99, total, int(errors.group(1)) if errors else 0, \
        socket_errors.group(1) if socket_errors else None


def access_log_size(web):
    try:
        return (web.statedir / "access.log").stat().st_size
    except OSError:
        return 0


def server_latencies(web, offset):
    """Sorted request times (us, %D, last field) of gather requests logged since `offset`."""
    try:
        with open(web.statedir / "access.log", "rb") as f:
            f.seek(offset)
            lines = f.read().decode(errors="replace").splitlines()
    except OSError:
        return []
    return sorted(int(line.rsplit(" ", 1)[1]) for line in lines
                  if "/twilio/gather" in line and line.rsplit(" ", 1)[-1].isdigit())


def pct(values, p):
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def db_counters(pg):
    """Transactions committed and rolled back in the benchmark's database."""
    (row,) = pg.query("SELECT xact_commit, xact_rollback FROM pg_stat_database "
                      "WHERE datname = current_database()")
    return row


def main():
    from urllib.parse import urlencode
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--connections", default="50,200")
    parser.add_argument("--pgss", action="store_true")
    parser.add_argument("--perf")
    parser.add_argument("--hold", action="store_true")
    parser.add_argument("--module-cpu", action="store_true")
    parser.add_argument("--module-top", type=int, default=0, metavar="N",
                        help="with --module-cpu: the N functions the module's samples "
                             "were in, with their share")
    parser.add_argument("--floor", action="store_true")
    parser.add_argument("--rate", type=int, default=0,
                        help="paced: about this many turns/s in all at each connection count "
                             "(callers pause between turns) instead of as fast as possible")
    # httpd as a host serving calls would run it: a thread for each of the
    # 200 connections (4 children of 64, all started up front, none reaped
    # between runs) and keep-alive connections not cut every 100 requests.
    # The database pool is the module's default, CortanaDatabasePoolMax 8 per
    # child: 32 PostgreSQL connections, a few per core (see README).
    parser.add_argument("--extra-conf", default=(
        "StartServers 4\nServerLimit 4\nThreadsPerChild 64\nMaxRequestWorkers 256\n"
        "MinSpareThreads 64\nMaxSpareThreads 256\nMaxKeepAliveRequests 0"),
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
              f"httpd event MPM ({args.extra_conf.replace(chr(10), '; ')}), "
              f"PostgreSQL and wrk on this {os.cpu_count()}-core machine")
        print(f"{'connections':>11} {'turns/s':>9} {'p50':>9} {'p99':>9} {'non-2xx':>8} "
              f"{'httpd us/turn':>14} {'PG us/turn':>11} {'stmts/turn':>11}")
        pm = postmaster_pid(pg)
        for connections in (int(c) for c in args.connections.split(",")):
            if args.rate:
                lua_script(script, bodies, pause_ms=max(1, connections * 1000 // args.rate))
            if args.pgss:
                pg.query("SELECT pg_stat_statements_reset()")
            perf = perf_record(f"{args.perf}.{connections}", args.duration) if args.perf else None
            log_offset = access_log_size(web)
            xact0 = db_counters(pg)
            cpu0, pgcpu0 = tree_cpu_seconds(web.pid()), tree_cpu_seconds(pm)
            rps, p50, p99, total, errors, sock = run_wrk(web.url, script, connections,
                                                         args.duration)
            cpu = tree_cpu_seconds(web.pid()) - cpu0
            pgcpu = tree_cpu_seconds(pm) - pgcpu0
            xact1 = db_counters(pg)
            if perf:
                perf.wait()
            module = None
            if args.module_cpu:
                # A second run of the same load, sampled: the samples' share,
                # times the CPU per turn of the first run (sampling with call
                # stacks costs httpd CPU of its own).
                sample_file = tempfile.mktemp(suffix=".perf")
                sampler = perf_record(sample_file, max(1, args.duration - 2),
                                      httpd_children(web))
                run_wrk(web.url, script, connections, args.duration)
                sampler.wait()
                module = module_share(sample_file)
                os.unlink(sample_file)
            # The two queries of db_counters are transactions too.
            stmts = (xact1[0] - xact0[0] - 1) + (xact1[1] - xact0[1])
            n = max(total, 1)
            print(f"{connections:>11} {rps:>9.0f} {p50:>9} {p99:>9} {errors:>8} "
                  f"{cpu / n * 1e6:>14.0f} {pgcpu / n * 1e6:>11.0f} {stmts / n:>11.2f}")
            if module:
                share, samples, leaves = module
                print(f"{'':>11} module (Twilio handler outside libpq): "
                      f"{share * cpu / n * 1e6:.0f} us/turn ({share * 100:.0f}% of "
                      f"{samples} httpd samples)")
                in_module = sum(leaves.values()) or 1
                for leaf, count in leaves.most_common(args.module_top):
                    print(f"{'':>13} {count * 100 / in_module:5.1f}%  {leaf}")
            served = server_latencies(web, log_offset)
            if served:
                print(f"{'':>11} in httpd (access log %D): p50 {pct(served, 50) / 1000:.2f}ms "
                      f"p99 {pct(served, 99) / 1000:.2f}ms max {served[-1] / 1000:.0f}ms")
            if sock:
                print(f"{'':>11} wrk socket errors: {sock}")
            if xact1[1] - xact0[1]:
                print(f"{'':>11} {xact1[1] - xact0[1]} transactions rolled back (see error.log)")
            if args.floor:
                floor_script = tempfile.mktemp(suffix=".lua")
                Path(floor_script).write_text(
                    "" if not args.rate else
                    f"function delay() return math.random({max(1, connections * 1000 // args.rate) // 2}, "
                    f"{max(1, connections * 1000 // args.rate) * 3 // 2}) end\n")
                cpu0 = tree_cpu_seconds(web.pid())
                _, _, _, ftotal, _, _ = run_wrk(web.url + "/favicon.svg", floor_script,
                                                connections, args.duration)
                fcpu = tree_cpu_seconds(web.pid()) - cpu0
                print(f"{'':>11} floor: httpd serving a static file at the same load: "
                      f"{ftotal / args.duration:.0f} req/s, {fcpu / max(ftotal, 1) * 1e6:.0f} "
                      "us/request")
            if args.pgss:
                for calls, ms, max_ms, query in pg.query(
                        "SELECT calls, round(total_exec_time::numeric, 1), "
                        "round(max_exec_time::numeric, 1), "
                        "regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_statements "
                        "WHERE calls > 100 ORDER BY calls DESC LIMIT 12",
                        uri=pg.uri("cortana_owner", pg.owner_password, "cortana")):
                    print(f"{'':>11} {calls / n:5.2f}/turn {ms / calls * 1000:7.0f} us "
                          f"(max {max_ms:6.1f} ms)  {query[:90]}")
        (upd, hot), = pg.query("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                               "WHERE relname = 'call_logs'",
                               uri=pg.uri("cortana_owner", pg.owner_password, "cortana"))
        print(f"call_logs updates: {upd}, HOT {hot} ({hot * 100 // max(upd, 1)}%)")
        errors = [line for line in web.error_log().splitlines() if ":error]" in line]
        if errors:
            print(f"httpd error.log: {len(errors)} error lines, e.g. {errors[0]}")
        if args.hold:
            print(f"httpd {web.url} (pid {web.pid()}), PostgreSQL {pg.owner_uri}; Enter stops")
            input()
    finally:
        web.stop()
        pg.stop()
        pg.remove()


if __name__ == "__main__":
    main()
