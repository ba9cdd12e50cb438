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

Two paths: `proxy` (Twilio's: the generator connects to httpd, which hands the
stream to the worker through mod_proxy_wstunnel; relay = httpd's whole tree)
and `direct` (the generator connects straight to the worker's unix socket,
ws+unix://; relay = the worker alone), so the cost of the proxy hop is known.
`--floor` also measures the harness's null relay (fake-realtime.js in
twilio-echo mode with marks) on CPU 1: the RTT floor of this machine.

    python3 tests/bench/relay_bench.py [--calls 10,50,100,200] [--duration 15]
                                       [--paths direct,proxy] [--chunks 20,60] [--floor]
                                       [--tls]

--tls puts TLS between the worker and the fake (tests/bench/tls_front.cjs, on
the generator's core), as between the worker and OpenAI in production.
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


def worker_pid(httpd_pid):
    """The cortana-media process under httpd (its supervisor's child)."""
    deadline = time.time() + 10
    while time.time() < deadline:
        for pid in tree_pids(httpd_pid):
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() == "cortana-media":
                    return pid
            except OSError:
                pass
        time.sleep(0.1)
    sys.exit("no cortana-media process under httpd")


def upstream_sockets(port):
    """Established TCP connections to the fake OpenAI's port."""
    out = subprocess.run(["ss", "-Htn", "state", "established", f"( dport = :{port} )"],
                         capture_output=True, text=True).stdout
    return len(out.splitlines())


def tree_rss_kib(root):
    total = 0
    for pid in tree_pids(root):
        try:
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


GENERATOR = ["node", "callgen.js"]  # or the C one: --generator c


def build_c_generator(work):
    """tests/bench/relay_callgen.c: the same calls and figures as callgen.js,
    for loads where Node's generator saturates its core first."""
    binary = work / "relay_callgen"
    subprocess.run(["cc", "-O2", "-std=c11", "-Wall", "-Wextra", "-Werror",
                    str(HERE / "relay_callgen.c"), "-lsodium", "-o", str(binary)], check=True)
    return [str(binary)]


def callgen(bench, env, url, n, duration, pid, fake, out):
    subprocess.run(["taskset", "-c", "0"] + GENERATOR + ["--url", url,
                    "--calls", str(n), "--duration", str(duration),
                    "--relay-pid", str(pid), "--fake-pid", str(fake.pid),
                    "--out", str(out), "--quiet"],
                   cwd=bench, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def tls_upstream(work, bench, fake_port, fronts):
    """wss:// in front of the fake: a self-signed certificate for 127.0.0.1,
    readable by the worker, and tls_front.cjs on CPU 0. Returns the URL and
    the directive that makes the worker trust the certificate."""
    cert, key = stack.self_signed_cert()
    fronts.append(cert.parent)  # removed with the fronts
    port = stack.free_port()
    front = subprocess.Popen(["taskset", "-c", "0", "node", str(HERE / "tls_front.cjs"),
                              str(cert), str(key), str(port), str(fake_port)],
                             stdout=subprocess.PIPE, text=True)
    front.stdout.readline()
    fronts.append(front)
    return f"wss://127.0.0.1:{port}/v1/realtime", f"CortanaOpenAICAFile {cert}\n"


def sweep(args, bench, work, fake, fake_port, label, env, url, pid, what):
    # A short warm-up run first: the code and the allocator's arenas a call
    # touches once are the relay's fixed cost, not a per-call one.
    callgen(bench, env, url, 10, 4, pid, fake, work / "warm-up.jsonl")
    time.sleep(1)
    idle_kib = tree_rss_kib(pid)
    print(f"\n{label}: {what}")
    print(f"{'N':>4} {'lost 1st s/later':>17} {'RTT p50':>8} {'p99':>7} {'max':>6} "
          f"{'cores':>6} {'us/frame':>9} {'calls/core':>10} {'RSS/call KiB':>12} "
          f"{'left open':>9} warnings", flush=True)
    for n in [int(x) for x in args.calls.split(",")]:
        out = work / f"run-{label.replace(' ', '_')}-{n}.jsonl"
        callgen(bench, env, url, n, args.duration, pid, fake, out)
        time.sleep(2)
        r = json.loads(out.read_text().splitlines()[-1])
        fr, rtt, relay = r["frames"], r["rtt_window_ms"], r["relay"]
        per_call = (relay["rss_peak_mb"] * 1024 - idle_kib) / n
        print(f"{n:>4} {fr['lost_first_1s']:>8}/{fr['lost_after_1s']:<8} "
              f"{rtt['p50']:>8.2f} {rtt['p99']:>7.2f} {rtt['max']:>6.1f} "
              f"{relay['cores']:>6.2f} {relay['cpu_us_per_frame']:>9.1f} "
              f"{relay.get('max_calls_per_core') or 0:>10.0f} {per_call:>12.1f} "
              f"{upstream_sockets(fake_port) if env else '-':>9} "
              f"{'; '.join(r.get('warnings', []))[:70]}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", default="10,50,100,200")
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--paths", default="direct,proxy")
    parser.add_argument("--tls", action="store_true",
                        help="wss:// to the fake (tls_front.cjs in front of it, on CPU 0), as "
                             "in production; the worker verifies it with CortanaOpenAICAFile")
    parser.add_argument("--chunks", default="20,60",
                        help="CortanaMediaChunk values to measure (20 = every frame, as "
                             "the public samples relay)")
    parser.add_argument("--floor", action="store_true")
    parser.add_argument("--generator", choices=("node", "c"), default="node",
                        help="node: the harness's callgen.js; c: tests/bench/relay_callgen.c "
                             "(the same calls and figures, a fraction of the CPU)")
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
                             str(fake_port)], cwd=bench, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    fake.stdout.readline()
    global GENERATOR
    if args.generator == "c":
        GENERATOR = build_c_generator(work)
    keyfile = work / "openai.key"
    keyfile.write_text("sk-bench\n")
    print(f"relay on CPU 1; generator ({args.generator}) and fake on CPU 0; "
          f"{args.duration} s calls; "
          f"RSS/call = (peak - idle after a 10-call warm-up) / N")
    null = None
    webs, fronts = [], []
    try:
        if args.floor:
            null_port = stack.free_port()
            null = subprocess.Popen(["taskset", "-c", "1", "node", "fake-realtime.js", "--port",
                                     str(null_port), "--mode", "twilio-echo", "--marks"],
                                    cwd=bench, stdout=subprocess.PIPE, text=True)
            null.stdout.readline()
            sweep(args, bench, work, fake, fake_port, "floor", {},
                  f"ws://127.0.0.1:{null_port}/media-stream", null.pid,
                  "the harness's null relay (fake-realtime.js twilio-echo --marks)")
        upstream, trust = f"ws://127.0.0.1:{fake_port}/v1/realtime", ""
        if args.tls:
            upstream, trust = tls_upstream(work, bench, fake_port, fronts)
        for chunk in [int(x) for x in args.chunks.split(",")]:
            web = conftest.Httpd(pg, extra_conf=(
                f"CortanaOpenAIKeyFile {keyfile}\n"
                f"CortanaOpenAIRealtimeURL {upstream}\n"
                f"CortanaMediaChunk {chunk}\n{trust}"
                "ServerLimit 4\nStartServers 4\nThreadsPerChild 100\nMaxRequestWorkers 400\n"
                "LogLevel warn"))
            webs.append(web)
            web.start()
            while web.pid() is None:
                time.sleep(0.05)
            worker = worker_pid(web.pid())
            for pid in tree_pids(web.pid()):
                subprocess.run(["taskset", "-a", "-pc", "1", str(pid)], stdout=subprocess.DEVNULL)
            bid, _ = make_business(pg)
            env = dict(os.environ, NODE_OPTIONS=f"--require {HERE / 'relay_token_preload.cjs'}",
                       CORTANA_BENCH_KEY_HEX=web.keyfile.read_bytes().hex(),
                       CORTANA_BENCH_BUSINESS=bid)
            paths = {
                "direct": (f"ws+unix://{web.runtime_dir / 'cortana-media.sock'}:/twilio/media",
                           worker, "cortana-media alone, on its unix socket"),
                "proxy": (f"ws://127.0.0.1:{web.port}/twilio/media", web.pid(),
                          "httpd (4 x 100 threads, mod_proxy_wstunnel) + cortana-media"),
            }
            for path in args.paths.split(","):
                url, pid, what = paths[path]
                sweep(args, bench, work, fake, fake_port, f"{path}, chunk {chunk} ms", env, url,
                      pid, what)
            web.stop()
            webs.remove(web)
    finally:
        for web in webs:
            web.stop()
        if null is not None:
            null.terminate()
        for front in fronts:
            if isinstance(front, Path):
                shutil.rmtree(front, ignore_errors=True)
            else:
                front.terminate()
        fake.terminate()
        pg.stop()
        pg.remove()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
