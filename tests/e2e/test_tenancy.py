"""Tenant isolation through the API: two owners, every route. One owner
never reads, changes or even learns of the other's rows: guessed ids are
404, never 403, and lists and analytics hold only one's own."""
import uuid

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


METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def resolve(doc, schema):
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def sample_body(doc, op):
    """A body the route's schema takes, changing one writable text member
    (a change B must not get to make), read from the document so that a new
    route with a body needs nothing added here."""
    if op is None or "requestBody" not in op:
        return None
    schema = resolve(doc, op["requestBody"]["content"]["application/json"]["schema"])
    body = {}
    for name in schema.get("required", []):
        assert name == "id", f"give {name} a sample value in the tenancy walk"
    for name, prop in schema.get("properties", {}).items():
        prop = resolve(doc, prop)
        if (prop.get("type") == "string" and not prop.get("readOnly") and "format" not in prop
                and "enum" not in prop and "pattern" not in prop):
            body[name] = "Taken over"
            break
    return body


def snapshot(owner, doc, ids):
    """What A sees of each of its rows: the row itself, or its list's entry."""
    seen = {}
    for resource, rid in ids.items():
        if f"/{resource}/{{id}}" in doc["paths"] and "get" in doc["paths"][f"/{resource}/{{id}}"]:
            resp = owner.get(f"/{resource}/{rid}")
            assert resp.status == 200, (resource, resp.text)
            seen[resource] = resp.json()
        else:
            items = owner.get(f"/{resource}").json()["items"]
            seen[resource] = [i for i in items if i["id"] == rid]
            assert seen[resource], resource
    return seen


def test_every_id_route_answers_404_to_the_other_tenant(tenants):
    """Every path with an id, whatever the method: B is told A's row does
    not exist (404), exactly as for an id nobody has — never 403, never a
    success — and A's rows are as they were."""
    a, b, ids = tenants
    doc = b.get("/openapi.json").json()
    before = snapshot(a, doc, ids)
    nobody = str(uuid.uuid4())
    checked = 0
    for path, item in doc["paths"].items():
        if "{" not in path:
            continue
        assert "{id}" in path and path.count("{") == 1, f"teach the tenancy walk {path}"
        resource = path.split("/")[1]
        assert resource in ids, f"add a row of {resource} to the tenancy suite"
        for method in METHODS:
            op = item.get(method.lower())
            body = sample_body(doc, op)
            theirs = b.request(method, path.replace("{id}", ids[resource]), body)
            unknown = b.request(method, path.replace("{id}", nobody), body)
            where = (method, path, theirs.status, theirs.text)
            assert theirs.status != 403 and not 200 <= theirs.status < 300, where
            assert (theirs.status, theirs.json()["error"]["code"]) == \
                (unknown.status, unknown.json()["error"]["code"]), where
            assert theirs.status == (404 if op else 405), where
            checked += 1
    assert checked >= 30
    assert snapshot(a, doc, ids) == before


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
