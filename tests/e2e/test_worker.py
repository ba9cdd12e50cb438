"""Supervision of cortana-media by the httpd parent, and its control socket.

mod_cortana/mod_cortana_worker.c starts the worker at post_config, restarts it
when it dies (unless it reports a bad configuration), stops it on graceful
restart and stop; media/ answers {"cmd":"stats"} on its control socket."""
import os
import signal
import stat
import time

import pytest

import stack


def control(instance, request, timeout=2):
    return stack.worker_control(instance.runtime_dir, request, timeout)


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


def proc_field(pid, name):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split()[1:]
    return None


def httpd_processes(instance):
    """pids of this instance's httpd processes (parent and children)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if str(instance.conf_path).encode() in f.read():
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


def test_worker_runs_as_httpd_user_with_private_sockets_and_no_secret_in_argv(httpd):
    pid = wait_for_worker(httpd)["pid"]
    parent = httpd.pid()
    children = [p for p in httpd_processes(httpd) if p != parent]
    assert children, "no httpd child found"
    assert proc_field(pid, "Uid") == proc_field(children[0], "Uid")
    assert proc_field(pid, "Gid") == proc_field(children[0], "Gid")
    for name in ("cortana-media.sock", "cortana-media.ctl"):
        st = (httpd.runtime_dir / name).stat()
        assert stat.S_ISSOCK(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o600, name
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        argv = f.read().split(b"\0")
    assert b"--ring-shm" in argv and b"--tick" in argv
    assert not any(b"password" in a or b"host=" in a or b"postgres" in a for a in argv)
    with open(f"/proc/{pid}/environ", "rb") as f:
        env = f.read().split(b"\0")
    assert any(e.startswith(b"CORTANA_DATABASE=") for e in env)
    # The ring the worker attached to is httpd's: same capacity, same head.
    stats = control(httpd, '{"cmd":"stats"}')
    health = httpd.get("/healthz").json()
    assert stats["ring"]["capacity"] == health["ring"]["capacity"]


@pytest.mark.allow_log_errors  # the death is logged as an error, rightly
def test_restart_count_survives_graceful_restart(httpd_factory):
    instance = httpd_factory()
    first = wait_for_worker(instance)["pid"]
    os.kill(first, signal.SIGKILL)
    second = wait_for_worker(instance, not_pid=first)["pid"]
    instance.graceful()
    third = wait_for_worker(instance, not_pid=second)["pid"]
    health = instance.get("/healthz").json()
    assert health["worker"]["pid"] == third
    assert health["worker"]["restarts"] == 1


@pytest.mark.allow_log_errors  # the supervisor logs the bad configuration as critical
def test_bad_configuration_exit_is_not_respawned(httpd_factory):
    instance = httpd_factory(start=False)
    script = instance.statedir / "bad-worker"
    script.write_text("#!/bin/sh\necho 'bad-worker: refusing' >&2\nexit 78\n")
    script.chmod(0o755)
    instance.write_conf(f'CortanaMediaWorker "{script}"')
    instance.start()
    time.sleep(2.5)
    log = instance.error_log()
    assert "reports a bad configuration" in log
    assert log.count("media worker %s started" % script) == 1
    assert httpd_ok(instance)


@pytest.mark.allow_log_errors  # every death is logged as an error
def test_crashing_worker_is_restarted_with_backoff(httpd_factory):
    instance = httpd_factory(start=False)
    script = instance.statedir / "crashing-worker"
    script.write_text("#!/bin/sh\nexit 3\n")
    script.chmod(0o755)
    instance.write_conf(f'CortanaMediaWorker "{script}"')
    instance.start()
    time.sleep(4)
    starts = instance.error_log().count("media worker %s started" % script)
    # Immediate first restart, then 100, 200, 400, 800, 1000 ms delays on top
    # of the MPM's reaping cycle: several restarts, but no tight loop.
    assert 3 <= starts <= 10, starts
    assert "exec delayed 100 ms" in instance.error_log()
    assert httpd_ok(instance)


def httpd_ok(instance):
    return instance.get("/healthz").status in (200, 503)


@pytest.mark.allow_log_errors
def test_worker_exits_when_httpd_is_killed(httpd_factory):
    instance = httpd_factory()
    worker = wait_for_worker(instance)["pid"]
    os.kill(instance.pid(), signal.SIGKILL)
    try:
        assert stack.wait_for_exit(worker, 3), "the worker outlived httpd"
    finally:
        for pid in httpd_processes(instance):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
