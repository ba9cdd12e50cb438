#!/usr/bin/env python3
"""Benchmark: the realtime relay (httpd + mod_proxy_wstunnel + cortana-media)
with the neutral harness of ../shared/bench (fake OpenAI Realtime + Twilio
call generator), the way the public reference relays were measured there.

Copies ../shared/bench to a scratch directory and `npm install`s it, starts a
private PostgreSQL, the harness's fake-realtime.js, and httpd with the module
(CortanaOpenAIRealtimeURL pointing at the fake). The generator's `start`
events get a valid stream token from relay_token_preload.cjs (the harness is
not modified). Relay = httpd's whole process tree (the proxying children and
the worker), pinned to CPU 1; generator and fake on CPU 0, as in the
harness's baseline. Prints one line per N: frames lost, RTT p50/p99 (an upper
bound on relay latency), relay cores, CPU µs per frame, peak RSS.

    python3 tests/bench/relay_bench.py [--calls 10,50,100,200] [--duration 15]
Needs node and npm. Not part of `make check`.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))

import conftest  # noqa: E402
import stack  # noqa: E402
from test_calls import make_business  # noqa: E402

SHARED_BENCH = Path(os.environ.get("CORTANA_SHARED_BENCH", HERE.parents[2] / "shared" / "bench"))


def tree_pids(root):
    kids = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(open(f"/proc/{entry}/stat").read().rsplit(") ", 1)[1].split()[1])
            except OSError:
                continue
            kids.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", default="10,50,100,200")
    parser.add_argument("--duration", type=int, default=15)
    args = parser.parse_args()
    if not (SHARED_BENCH / "callgen.js").exists():
        sys.exit(f"no harness at {SHARED_BENCH} (set CORTANA_SHARED_BENCH)")
    work = Path(tempfile.mkdtemp(prefix="cortana-relay-bench-"))
    bench = work / "bench"
    shutil.copytree(SHARED_BENCH, bench, ignore=shutil.ignore_patterns("node_modules", "results"))
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=bench,
                   check=True, stdout=subprocess.DEVNULL)

    pg = stack.Postgres(stack.make_state_dir("bench-pg"), stack.free_port())
    pg.init()
    pg.start()
    pg.create_database("cortana")
    pg.migrate("cortana", conftest.BUILDDIR / "tools" / "cortana-admin", conftest.SRCDIR / "sql")
    pg.create_app_role("cortana")
    fake_port = stack.free_port()
    fake = subprocess.Popen(["taskset", "-c", "0", "node", "fake-realtime.js", "--port",
                             str(fake_port)], cwd=bench, stdout=subprocess.PIPE, text=True)
    fake.stdout.readline()
    keyfile = work / "openai.key"
    keyfile.write_text("sk-bench\n")
    web = conftest.Httpd(pg, extra_conf=(
        f"CortanaOpenAIKeyFile {keyfile}\n"
        f"CortanaOpenAIRealtimeURL ws://127.0.0.1:{fake_port}/v1/realtime\n"
        "ServerLimit 4\nStartServers 4\nThreadsPerChild 100\nMaxRequestWorkers 400\n"
        "LogLevel warn"))
    web.start()
    while web.pid() is None:
        time.sleep(0.05)
    time.sleep(0.5)  # the worker is up
    try:
        for pid in tree_pids(web.pid()):
            subprocess.run(["taskset", "-pc", "1", str(pid)], stdout=subprocess.DEVNULL)
        bid, _ = make_business(pg)
        env = dict(os.environ, NODE_OPTIONS=f"--require {HERE / 'relay_token_preload.cjs'}",
                   CORTANA_BENCH_KEY_HEX=web.keyfile.read_bytes().hex(),
                   CORTANA_BENCH_BUSINESS=bid)
        print(f"relay: httpd (4 x 100 threads, mod_proxy_wstunnel) + cortana-media on CPU 1; "
              f"generator and fake on CPU 0; {args.duration} s calls")
        print(f"{'N':>4} {'lost 1st s/later':>17} {'RTT p50':>9} {'RTT p99':>9} {'RTT max':>8} "
              f"{'relay cores':>11} {'us/frame':>9} {'peak RSS MB':>11} warnings")
        for n in [int(x) for x in args.calls.split(",")]:
            out = work / f"run-{n}.jsonl"
            subprocess.run(["taskset", "-c", "0", "node", "callgen.js", "--url",
                            f"ws://127.0.0.1:{web.port}/twilio/media", "--calls", str(n),
                            "--duration", str(args.duration), "--relay-pid", str(web.pid()),
                            "--fake-pid", str(fake.pid), "--out", str(out), "--quiet"],
                           cwd=bench, env=env, check=True, stdout=subprocess.DEVNULL)
            r = json.loads(out.read_text().splitlines()[-1])
            fr, rtt, relay = r["frames"], r["rtt_window_ms"], r["relay"]
            print(f"{n:>4} {fr['lost_first_1s']:>8}/{fr['lost_after_1s']:<8} "
                  f"{rtt['p50']:>9.2f} {rtt['p99']:>9.2f} {rtt['max']:>8.1f} "
                  f"{relay['cores']:>11.2f} {relay['cpu_us_per_frame']:>9.0f} "
                  f"{relay['rss_peak_mb']:>11.1f} {'; '.join(r.get('warnings', []))[:60]}")
            time.sleep(2)
    finally:
        web.stop()
        fake.terminate()
        pg.stop()
        pg.remove()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
