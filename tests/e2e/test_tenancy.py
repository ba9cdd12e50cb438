"""Tenant isolation through the API: two owners, every route. One owner
never reads, changes or even learns of the other's rows: guessed ids are
404, never 403, and lists and analytics hold only one's own."""
import pytest

from owner import Owner
from test_api import new_email
from test_api_resources import wait_for_call


@pytest.fixture(scope="module")
def tenants(httpd_module):
    a, b = Owner(httpd_module), Owner(httpd_module)
    assert a.signup(new_email(), name="Alpha Plumbing").status == 201
    assert b.signup(new_email(), name="Bravo Heating").status == 201
    ids = {}
    ids["technicians"] = a.post("/technicians", {"name": "A tech",
                                                 "phone": "+13125550141"}).json()["id"]
    ids["kb"] = a.post("/kb", {"title": "Alpha secret", "content":
                               "Alpha's secret financing plan."}).json()["id"]
    a.patch("/business", {"hours": {d: [{"open": "00:00", "close": "24:00"}] for d in (
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}})
    slot = a.get("/availability?count=1").json()["slots"][0]["starts_at"]
    ids["appointments"] = a.post("/book", {"starts_at": slot, "customer_name": "Alpha client",
                                           "customer_phone": "+13125550142"}).json()["id"]
    sid = a.post("/test-calls", {"scenario": "question"}).json()["call_sid"]
    ids["calls"] = wait_for_call(a, sid)["id"]
    ids["blocked-numbers"] = a.post("/blocked-numbers", {"phone": "+13125550143"}).json()["id"]
    return a, b, ids


def routes(owner):
    doc = owner.get("/openapi.json").json()
    for path, item in doc["paths"].items():
        for method in item:
            yield method.upper(), path


def sample_body(method, path):
    return {"PATCH": {"name": "Taken over"} if path.startswith("/technicians") else
            {"title": "Taken over"} if path.startswith("/kb") else {}}.get(method)


def test_every_id_route_answers_404_to_the_other_tenant(tenants):
    a, b, ids = tenants
    checked = 0
    for method, path in routes(b):
        if "{id}" not in path:
            continue
        resource = path.split("/")[1]
        assert resource in ids, f"add {path} to the tenancy suite"
        concrete = path.replace("{id}", ids[resource])
        resp = b.request(method, concrete, sample_body(method, path))
        assert resp.status == 404, (method, concrete, resp.status, resp.text)
        assert a.request("GET", concrete).status in (200, 405), concrete
        checked += 1
    assert checked >= 10
    # …and nothing of A's changed
    assert a.get(f"/technicians/{ids['technicians']}").json()["name"] == "A tech"
    assert a.get(f"/kb/{ids['kb']}").json()["title"] == "Alpha secret"
    assert a.get("/appointments").json()["items"][0]["status"] == "booked"


def test_lists_searches_and_analytics_hold_only_ones_own(tenants):
    a, b, ids = tenants
    for method, path in routes(b):
        if method != "GET" or "{id}" in path or path in ("/openapi.json", "/transcripts"):
            continue
        resp = b.get(path + ("?q=Alpha" if path in ("/kb/search", "/calls") else ""))
        assert resp.status == 200, (path, resp.text)
        text = resp.text.replace('"question":"Alpha"', "")
        for secret in ids.values():
            assert secret not in text, (path, secret)
        assert "Alpha" not in text, path
    assert b.get("/kb/search?q=secret+financing").json()["found"] is False
    assert b.get("/analytics").json()["calls"] == 0
    assert b.get("/business").json()["name"] == "Bravo Heating"


def test_the_other_tenants_order_and_blocks_cannot_be_touched(tenants):
    a, b, ids = tenants
    resp = b.put("/technicians/order", {"ids": [ids["technicians"]]})
    assert resp.status == 400  # not one of B's technicians: nothing reordered
    resp = b.post(f"/calls/{ids['calls']}/block")
    assert resp.status == 404
    assert b.get("/blocked-numbers").json()["items"] == []


def test_rls_not_the_handler_keeps_tenants_apart(pg):
    """The API's database role cannot bypass row-level security."""
    (bypass, superuser) = pg.query("SELECT rolbypassrls, rolsuper FROM pg_roles "
                                   "WHERE rolname = 'cortana_web'")[0]
    assert not bypass and not superuser
