"""GET /healthz and GET /metrics against a real httpd, PostgreSQL and worker."""
import time

import pytest


def wait_healthy(instance, timeout=10):
    deadline = time.time() + timeout
    resp = None
    while time.time() < deadline:
        resp = instance.get("/healthz")
        if resp.status == 200:
            return resp
        time.sleep(0.1)
    return resp


def test_healthz_is_200_when_database_worker_and_ring_are_well(httpd):
    resp = wait_healthy(httpd)
    assert resp.status == 200, resp.text
    assert resp.header("Content-Type").startswith("application/json")
    doc = resp.json()
    assert doc["status"] == "ok"
    assert doc["database"]["ok"] is True
    assert doc["database"]["schema_version"] >= 1
    assert doc["worker"]["ok"] is True
    assert doc["worker"]["pid"] > 0
    assert doc["worker"]["responding"] is True
    assert doc["ring"]["ok"] is True
    assert doc["ring"]["capacity"] == 4096


@pytest.mark.allow_log_errors
def test_healthz_is_503_naming_the_database_when_it_is_unreachable(httpd_factory):
    instance = httpd_factory(
        extra_conf='CortanaDatabase "postgresql://nobody:x@127.0.0.1:1/none?connect_timeout=1"')
    resp = instance.get("/healthz")
    assert resp.status == 503
    doc = resp.json()
    assert doc["status"] == "unavailable"
    assert doc["database"]["ok"] is False
    assert "error" in doc["database"]


def test_healthz_refuses_other_methods(httpd):
    assert httpd.post("/healthz").status == 405


def test_metrics_counts_requests_by_route_and_status(httpd):
    for _ in range(3):
        httpd.get("/healthz")
    resp = httpd.get("/metrics")
    assert resp.status == 200
    assert resp.header("Content-Type").startswith("text/plain; version=0.0.4")
    text = resp.text
    line = next(l for l in text.splitlines()
                if l.startswith('cortana_http_requests_total{route="/healthz",status="200"}'))
    assert int(line.split()[-1]) >= 3
    for name in ("cortana_ring_writes_total", "cortana_ring_dropped_total",
                 "cortana_worker_up 1", "cortana_worker_restarts_total",
                 "cortana_db_connections_in_use"):
        assert name in text, name
    # Every sample line is "name{labels} value" or "name value".
    for l in text.splitlines():
        if l and not l.startswith("#"):
            float(l.rsplit(" ", 1)[1])


def test_metrics_is_refused_outside_the_allowed_addresses(httpd_factory):
    instance = httpd_factory(extra_conf="CortanaMetricsAllow 10.0.0.0/8")
    assert instance.get("/metrics").status == 403


def test_cortana_urls_are_not_mapped_onto_the_file_system(httpd_factory):
    """Cortana's <Location> handlers are not files: httpd's directory walk
    (a stat per path component, an .htaccess open per directory) does not run
    for them, so a <Directory> rule denying the whole file system leaves them
    answering, while the dashboard's files still obey it."""
    instance = httpd_factory(
        extra_conf='<DirectoryMatch "^/">\n    Require all denied\n</DirectoryMatch>')
    assert instance.get("/index.html").status == 403
    assert wait_healthy(instance).status == 200
    assert instance.get("/api/openapi.json").status == 200
    assert instance.get("/metrics").status == 200
