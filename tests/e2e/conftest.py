"""End-to-end fixtures: a real PostgreSQL cluster and a real httpd loading
mod_cortana from the build tree, both on free loopback ports.

Fixtures
  srcdir, builddir   paths of the checkout and of the build (CORTANA_BUILDDIR)
  pg                 session-wide PostgreSQL 15 cluster, database `cortana`
                     migrated by cortana-admin; .owner_uri, .app_uri,
                     .query(), .execute(), .fresh_database(), .stop(), .start()
  httpd_factory      makes httpd instances: httpd_factory(extra_conf="", env=None)
  httpd              one running instance per test module

After every test that used an httpd, its error log is scanned: lines at
cortana:error or worse, and crashed children, fail the test unless it is
marked @pytest.mark.allow_log_errors.
"""
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

import stack

SRCDIR = Path(os.environ.get("CORTANA_SRCDIR", Path(__file__).resolve().parents[2]))
BUILDDIR = Path(os.environ.get("CORTANA_BUILDDIR", SRCDIR))
HTTPD = os.environ.get("HTTPD", "/usr/sbin/apache2")
TWILIO_AUTH_TOKEN = "e2e-twilio-auth-token-0123456789"


def pytest_configure(config):
    config.addinivalue_line("markers", "allow_log_errors: the test expects error lines in the log")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Each phase's report on the test item, for fixtures that keep a
    failed test's state directories and remove a passed test's."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, "report_" + report.when, report)


def passed(request):
    report = getattr(request.node, "report_call", None)
    return report is not None and report.passed


@pytest.fixture(scope="session")
def srcdir():
    return SRCDIR


@pytest.fixture(scope="session")
def builddir():
    return BUILDDIR


@pytest.fixture(scope="session")
def pg(tmp_path_factory):
    cluster = stack.Postgres(stack.make_state_dir("pg"), stack.free_port())
    cluster.init()
    cluster.start()
    cluster.create_database("cortana")
    cluster.migrate("cortana", BUILDDIR / "tools" / "cortana-admin", SRCDIR / "sql")
    cluster.create_app_role("cortana")
    yield cluster
    cluster.stop()
    cluster.remove()


class Httpd:
    """One httpd with mod_cortana, configured from conf/httpd-dev.conf.in."""

    def __init__(self, pg, extra_conf="", env=None, public_url=None):
        self.statedir = stack.make_state_dir("httpd")
        self.port = stack.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.public_url = public_url or self.url
        self.runtime_dir = self.statedir / "run"
        self.runtime_dir.mkdir()
        self.conf_path = self.statedir / "httpd.conf"
        self.error_log_path = self.statedir / "error.log"
        self.pid_path = self.statedir / "httpd.pid"
        self.keyfile = self.statedir / "master.key"
        self.keyfile.write_bytes(secrets.token_bytes(32))
        self.keyfile.chmod(0o600)
        self.env = dict(os.environ, **(env or {}))
        self.pg = pg
        self.extra_conf = extra_conf
        self.write_conf(extra_conf)
        stack.give_to_service_user(self.statedir)
        self._log_offset = 0

    def conf_text(self, extra_conf=""):
        return stack.render_httpd_conf(
            SRCDIR,
            STATEDIR=self.statedir,
            RUNDIR=self.runtime_dir,
            PORT=self.port,
            MODULE=BUILDDIR / ".libs" / "mod_cortana.so",
            MEDIA_WORKER=BUILDDIR / "media" / "cortana-media",
            APP_PGURI=self.pg.app_uri if self.pg else "host=/nonexistent dbname=none",
            PUBLIC_URL=self.public_url,
            KEYFILE=self.keyfile,
            TWILIO_AUTH_TOKEN=TWILIO_AUTH_TOKEN,
            HTDOCS=SRCDIR / "htdocs",
            SRCDIR=SRCDIR,
            EXTRA_DIRECTIVES=extra_conf,
        )

    def write_conf(self, extra_conf=""):
        self.conf_path.write_text(self.conf_text(extra_conf))

    def configtest(self, extra_conf=""):
        """Run `apache2 -t` on this instance's config plus `extra_conf`."""
        path = self.statedir / "configtest.conf"
        path.write_text(self.conf_text(extra_conf))
        proc = subprocess.run([HTTPD, "-t", "-f", str(path)], env=self.env,
                              capture_output=True, text=True)
        return proc.returncode, proc.stdout + proc.stderr

    def _ctl(self, action):
        return subprocess.run([HTTPD, "-f", str(self.conf_path), "-k", action], env=self.env,
                              capture_output=True, text=True)

    def pid(self):
        try:
            return int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            return None

    def start(self, timeout=10):
        proc = self._ctl("start")
        if proc.returncode != 0:
            raise RuntimeError(f"httpd failed to start: {proc.stderr}\n{self.error_log()}")
        stack.wait_for_port(self.port, timeout, what="httpd")
        return self

    def remove(self):
        """The state directory (config, logs, runtime files) once stopped."""
        shutil.rmtree(self.statedir, ignore_errors=True)

    def stop(self, timeout=10):
        """`-k stop`; when that cannot run (its configuration no longer parses,
        e.g. a file a directive names was removed) or httpd lingers, the
        parent gets SIGTERM (httpd's own stop), then SIGKILL: no test leaves a
        server behind."""
        pid = self.pid()
        stopped = self._ctl("stop").returncode == 0
        if pid and not stack.wait_for_exit(pid, timeout if stopped else 0.5):
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    break
                if stack.wait_for_exit(pid, timeout):
                    break

    def graceful(self, timeout=10):
        before = self.generation_lines()
        self._ctl("graceful")
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.generation_lines() > before:
                stack.wait_for_port(self.port, timeout, what="httpd")
                return
            time.sleep(0.05)
        raise RuntimeError("httpd did not finish a graceful restart")

    def generation_lines(self):
        return self.error_log().count("resuming normal operations")

    def error_log(self):
        try:
            return self.error_log_path.read_text(errors="replace")
        except OSError:
            return ""

    def new_log_lines(self):
        text = self.error_log()
        new = text[self._log_offset:]
        self._log_offset = len(text)
        return new

    def get(self, path, headers=None, timeout=10):
        return stack.http_request("GET", self.url + path, headers=headers, timeout=timeout)

    def post(self, path, body=b"", headers=None, timeout=10):
        return stack.http_request("POST", self.url + path, body=body, headers=headers,
                                  timeout=timeout)


BAD_LOG_LINE = re.compile(
    r"\[cortana:(error|crit|alert|emerg)\]|exit signal (Segmentation|Aborted|Bus)|AddressSanitizer"
)


@pytest.fixture
def httpd_factory(request, pg):
    made = []

    def make(extra_conf="", env=None, start=True, public_url=None, database=True):
        instance = Httpd(pg if database else None, extra_conf, env, public_url)
        made.append(instance)
        if start:
            instance.start()
        return instance

    yield make
    for instance in made:
        instance.stop()
    check_logs(request, made)
    if passed(request):  # a failed test's logs stay for reading
        for instance in made:
            instance.remove()


@pytest.fixture(scope="module")
def httpd_module(request, pg):
    instance = Httpd(pg)
    instance.start()
    yield instance
    instance.stop()
    if request.session.testsfailed == 0:
        instance.remove()


@pytest.fixture
def httpd(request, httpd_module):
    httpd_module.new_log_lines()
    yield httpd_module
    check_logs(request, [httpd_module], only_new=True)


def check_logs(request, instances, only_new=False):
    if request.node.get_closest_marker("allow_log_errors"):
        return
    for instance in instances:
        text = instance.new_log_lines() if only_new else instance.error_log()
        bad = [line for line in text.splitlines() if BAD_LOG_LINE.search(line)]
        if bad:
            pytest.fail("unexpected error lines in httpd's error log:\n" + "\n".join(bad[:20]),
                        pytrace=False)
