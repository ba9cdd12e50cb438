"""Building blocks of the test stack: a private PostgreSQL cluster, the
httpd config template, ports, processes and a tiny HTTP client.

Everything runs on loopback. When the tests run as root (CI does), PostgreSQL
and httpd's children run as the unprivileged user `cortana-dev`, because
initdb refuses root and httpd's children must not be root.
"""
import glob
import http.client
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

SERVICE_USER = "cortana-dev"


def running_as_root():
    return os.geteuid() == 0


def ensure_service_user():
    if not running_as_root():
        return
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--user-group",
                        "--shell", "/usr/sbin/nologin", SERVICE_USER], check=True)


def give_to_service_user(path):
    """Hand `path` (recursively) to the service user when we are root."""
    if running_as_root():
        ensure_service_user()
        subprocess.run(["chown", "-R", f"{SERVICE_USER}:{SERVICE_USER}", str(path)], check=True)


def as_service_user(argv):
    if running_as_root():
        ensure_service_user()
        return ["runuser", "-u", SERVICE_USER, "--"] + [str(a) for a in argv]
    return [str(a) for a in argv]


def make_state_dir(kind):
    path = Path(tempfile.mkdtemp(prefix=f"cortana-e2e-{kind}-"))
    path.chmod(0o755)
    return path


def worker_control(runtime_dir, request, timeout=2):
    """One request line on the media worker's control socket; its JSON answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(Path(runtime_dir) / "cortana-media.ctl"))
        s.sendall(request.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return json.loads(data)


def self_signed_cert():
    """A certificate for 127.0.0.1 and its key (PEM files), in a directory the
    media worker (httpd's User) can read; the caller removes the directory."""
    where = make_state_dir("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out",
                    str(cert)], check=True, capture_output=True)
    cert.chmod(0o644)
    return cert, key


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout, what="server"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout}s")


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is not alive for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def wait_for_exit(pid, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


def postgres_bindir():
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                        key=lambda p: int(p.split("/")[-2]))
    if not candidates:
        raise RuntimeError("PostgreSQL server not found: install the Debian package postgresql")
    return Path(candidates[-1])


class Postgres:
    """A private cluster: owner role `cortana_owner` (bootstrap superuser; it
    owns the tables and sees every tenant) and the RLS-bound login role
    `cortana_web` (member of cortana_app, created by the migrations)."""

    def __init__(self, statedir, port):
        self.statedir = Path(statedir)
        self.datadir = self.statedir / "data"
        self.sockdir = self.statedir / "sock"
        self.logfile = self.statedir / "postgres.log"
        self.port = port
        self.bindir = postgres_bindir()
        self.owner_password = secrets.token_hex(12)
        self.app_password = secrets.token_hex(12)
        self.dbname = "cortana"

    def uri(self, role, password, dbname=None):
        return f"postgresql://{role}:{password}@127.0.0.1:{self.port}/{dbname or self.dbname}"

    @property
    def owner_uri(self):
        return self.uri("cortana_owner", self.owner_password)

    @property
    def app_uri(self):
        return self.uri("cortana_web", self.app_password)

    def init(self):
        self.sockdir.mkdir(parents=True, exist_ok=True)
        pwfile = self.statedir / "pwfile"
        pwfile.write_text(self.owner_password + "\n")
        give_to_service_user(self.statedir)
        subprocess.run(as_service_user([
            self.bindir / "initdb", "-D", self.datadir, "-U", "cortana_owner",
            "--pwfile", pwfile, "--auth-local=trust", "--auth-host=scram-sha-256",
            "-E", "UTF8", "--no-locale", "--no-sync"]), check=True, capture_output=True)
        pwfile.unlink()

    def start(self):
        opts = (f"-p {self.port} -k {self.sockdir} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=400")
        proc = subprocess.run(as_service_user([
            self.bindir / "pg_ctl", "-D", self.datadir, "-l", self.logfile, "-o", opts,
            "-w", "-t", "60", "start"]), capture_output=True, text=True)
        if proc.returncode != 0:
            log = self.logfile.read_text() if self.logfile.exists() else ""
            raise RuntimeError(f"PostgreSQL failed to start: {proc.stderr}\n{log}")

    def stop(self, mode="fast"):
        subprocess.run(as_service_user([self.bindir / "pg_ctl", "-D", self.datadir, "-m", mode,
                                        "-w", "stop"]), capture_output=True)

    def remove(self):
        shutil.rmtree(self.statedir, ignore_errors=True)

    def connect(self, uri=None):
        import psycopg2
        conn = psycopg2.connect(uri or self.owner_uri)
        conn.autocommit = True
        return conn

    def query(self, sql, params=(), uri=None):
        conn = self.connect(uri)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def execute(self, sql, params=(), uri=None):
        conn = self.connect(uri)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.rowcount
        finally:
            conn.close()

    def create_database(self, name):
        self.execute(f'CREATE DATABASE "{name}"', uri=self.uri("cortana_owner",
                                                                 self.owner_password,
                                                                 "postgres"))
        return self.uri("cortana_owner", self.owner_password, name)

    def fresh_database(self, name):
        """A new, empty (not migrated) database; returns its owner URI."""
        return self.create_database(name)

    def migrate(self, dbname, admin, sqldir):
        proc = subprocess.run([str(admin), "migrate", "--database",
                               self.uri("cortana_owner", self.owner_password, dbname),
                               "--sql-dir", str(sqldir)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"cortana-admin migrate failed: {proc.stdout}{proc.stderr}")
        return proc

    def create_app_role(self, dbname):
        self.execute(
            "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cortana_web') "
            "THEN CREATE ROLE cortana_web LOGIN; END IF; END$$")
        self.execute("ALTER ROLE cortana_web PASSWORD %s", (self.app_password,))
        self.execute("GRANT cortana_app TO cortana_web")


def render_httpd_conf(srcdir, **values):
    text = (Path(srcdir) / "conf" / "httpd-dev.conf.in").read_text()
    values.setdefault("USER_GROUP", (f"User {SERVICE_USER}\nGroup {SERVICE_USER}"
                                     if running_as_root() else ""))
    for key, value in values.items():
        text = text.replace(f"@{key}@", str(value))
    return text


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def http_request(method, url, body=None, headers=None, timeout=10):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if isinstance(body, str):
            body = body.encode()
        conn.request(method, path or "/", body=body, headers=headers or {})
        resp = conn.getresponse()
        return Response(resp.status, resp.getheaders(), resp.read())
    finally:
        conn.close()
