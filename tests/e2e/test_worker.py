"""Supervision of cortana-media by the httpd parent, and its control socket."""
import json
import os
import signal
import socket
import time

import pytest

import stack


def control(instance, request, timeout=2):
    path = instance.runtime_dir / "cortana-media.ctl"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        s.sendall(request.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return json.loads(data)


def worker_pids(instance):
    """Processes running this instance's cortana-media."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"cortana-media") and \
                str(instance.runtime_dir).encode() in b" ".join(argv):
            if stack.pid_alive(int(entry)):
                pids.append(int(entry))
    return pids


def wait_for_worker(instance, not_pid=None, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            stats = control(instance, '{"cmd":"stats"}', timeout=0.5)
            if stats.get("ok") and stats["pid"] != not_pid:
                return stats
        except (OSError, ValueError):
            pass
        time.sleep(0.02)
    raise AssertionError("no media worker answered its control socket")


def test_control_socket_answers_stats(httpd):
    stats = wait_for_worker(httpd)
    assert stats["pid"] in worker_pids(httpd)
    assert stats["ring"]["capacity"] == 4096
    assert stats["calls"] == 0
    assert stats["uptime_s"] >= 0


def test_control_socket_refuses_unknown_and_malformed_commands(httpd):
    wait_for_worker(httpd)
    assert control(httpd, '{"cmd":"dance"}') == {"ok": False, "error": "unknown command",
                                                 "cmd": "dance"}
    reply = control(httpd, "{not json")
    assert reply["ok"] is False and "invalid JSON" in reply["error"]


@pytest.mark.allow_log_errors  # the supervisor logs the death as an error, rightly
def test_killed_worker_is_replaced_within_two_seconds(httpd_factory):
    instance = httpd_factory()
    first = wait_for_worker(instance)["pid"]
    killed_at = time.time()
    os.kill(first, signal.SIGKILL)
    second = wait_for_worker(instance, not_pid=first, timeout=2)["pid"]
    assert time.time() - killed_at < 2.0
    assert second != first
    assert worker_pids(instance) == [second]
    health = instance.get("/healthz").json()
    assert health["worker"]["restarts"] == 1
    assert health["worker"]["pid"] == second
    assert "media worker (pid %d) died" % first in instance.error_log()


def test_graceful_restart_leaves_exactly_one_worker(httpd_factory):
    instance = httpd_factory()
    first = wait_for_worker(instance)["pid"]
    instance.graceful()
    second = wait_for_worker(instance, not_pid=first)["pid"]
    time.sleep(0.3)
    assert worker_pids(instance) == [second]


def test_stop_leaves_no_worker_and_no_sockets(httpd_factory):
    instance = httpd_factory()
    wait_for_worker(instance)
    instance.stop()
    deadline = time.time() + 5
    while worker_pids(instance) and time.time() < deadline:
        time.sleep(0.05)
    assert worker_pids(instance) == []
    assert not (instance.runtime_dir / "cortana-media.ctl").exists()
    assert not (instance.runtime_dir / "cortana-media.sock").exists()
