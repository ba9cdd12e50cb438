"""/api/openapi.json is true: walked against the running server.

Every documented operation exists; every GET answers with a body that
validates against its documented schema; every documented request body
refuses a member it does not list (400 naming it)."""
import copy

import jsonschema
import pytest

from owner import Owner
from test_api import new_email
from test_api_resources import wait_for_call


def nullable_to_json_schema(node):
    """OpenAPI 3.0's `nullable` as plain JSON Schema."""
    if isinstance(node, list):
        return [nullable_to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: nullable_to_json_schema(v) for k, v in node.items()}
    if node.pop("nullable", False):
        if "type" in node and "$ref" not in node:
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = node["enum"] + [None]
        else:
            return {"anyOf": [node, {"type": "null"}]}
    node.pop("readOnly", None)
    return node


@pytest.fixture(scope="module")
def world(httpd_module):
    o = Owner(httpd_module)
    assert o.signup(new_email()).status == 201
    o.patch("/business", {"hours": {d: [{"open": "00:00", "close": "24:00"}] for d in (
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}})
    ids = {"technicians": o.post("/technicians", {"name": "T", "phone": "+13125550151"})
           .json()["id"],
           "kb": o.post("/kb", {"title": "Warranty", "content": "One year on parts."})
           .json()["id"]}
    slot = o.get("/availability?count=1").json()["slots"][0]["starts_at"]
    ids["appointments"] = o.post("/book", {"starts_at": slot, "customer_name": "C",
                                           "customer_phone": "+13125550152"}).json()["id"]
    o.post("/technicians", {"name": "On call", "phone": "+13125550153"})
    sid = o.post("/test-calls", {"scenario": "emergency"}).json()["call_sid"]
    ids["calls"] = wait_for_call(o, sid)["id"]
    ids["blocked-numbers"] = o.post("/blocked-numbers", {"phone": "+13125550154"}).json()["id"]
    doc = o.get("/openapi.json").json()
    return o, ids, doc


def test_the_document_is_public_and_well_formed(httpd):
    resp = Owner(httpd).get("/openapi.json")
    assert resp.status == 200
    doc = resp.json()
    assert doc["openapi"].startswith("3.0") and doc["info"]["title"]
    assert "/transcripts" in doc["paths"] and "/calls/{id}" in doc["paths"]
    text = resp.text
    for name in doc["components"]["schemas"]:
        assert f'"#/components/schemas/{name}"' in text or name == "Error"
    for ref in set(part.split('"')[0] for part in text.split('"$ref":"')[1:]):
        assert ref.startswith("#/components/schemas/")
        assert ref.rsplit("/", 1)[1] in doc["components"]["schemas"], ref


def test_every_get_matches_its_schema(world):
    owner, ids, doc = world
    root = nullable_to_json_schema(copy.deepcopy(doc))
    walked = 0
    for path, item in doc["paths"].items():
        op = item.get("get")
        if op is None or path == "/transcripts":
            continue
        concrete = path.replace("{id}", ids.get(path.split("/")[1], ""))
        if path == "/kb/search":
            concrete += "?q=warranty"
        resp = owner.get(concrete)
        status = str(resp.status)
        assert status in op["responses"], (path, resp.status, resp.text)
        content = root["paths"][path]["get"]["responses"][status].get("content")
        if content is None:
            continue
        schema = content["application/json"]["schema"]
        validator = jsonschema.Draft7Validator(
            schema, resolver=jsonschema.RefResolver.from_schema(root))
        body = resp.json()
        errors = sorted(validator.iter_errors(body), key=str)
        assert not errors, (path, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]])
        # the check can fail: a member the schema does not list is caught
        assert not validator.is_valid({**body, "undocumented": 1}), path
        walked += 1
    assert walked >= 14


def test_query_parameters_are_the_documented_ones(world):
    """Each GET takes the query parameters its document lists, and no other:
    a parameter it does not list is a 400 naming it (a typo is not a filter
    silently left out)."""
    owner, ids, doc = world
    for path, item in doc["paths"].items():
        op = item.get("get")
        if op is None or path == "/transcripts":
            continue
        concrete = path.replace("{id}", ids.get(path.split("/")[1], ""))
        documented = [p["name"] for p in op["parameters"] if p["in"] == "query"]
        without = owner.get(concrete).status
        for name in documented:  # an empty value is no value
            assert owner.get(f"{concrete}?{name}=").status == without, (path, name)
        resp = owner.get(f"{concrete}?no_such_parameter=1")
        assert resp.status == 400, (path, resp.text)
        assert resp.json()["error"]["field"] == "no_such_parameter", (path, resp.text)


def test_every_documented_operation_exists(world):
    owner, ids, doc = world
    for path, item in doc["paths"].items():
        for method in item:
            if path == "/transcripts":
                continue
            concrete = path.replace("{id}", "00000000-0000-4000-8000-000000000000")
            resp = owner.request(method.upper(), concrete, {} if method != "get" else None)
            if resp.status == 404:
                assert resp.json()["error"]["message"] != "no such API resource", (method, path)
            assert resp.status != 405, (method, path)


def test_every_error_status_a_route_gives_is_documented(world):
    """413 and 415 wherever a body is read, 503 wherever the database is
    used, 409 where a value can conflict, 429 where a limit applies: each
    as documented as the 400s are. The 415s are walked on the server."""
    owner, ids, doc = world
    for path, item in doc["paths"].items():
        for method, op in item.items():
            documented = op["responses"]
            if method in ("post", "put", "patch"):
                assert {"413", "415"} <= set(documented), (method, path)
                concrete = path.replace("{id}", "00000000-0000-4000-8000-000000000000")
                resp = owner.request(method.upper(), concrete, raw=b"x",
                                     headers={"Content-Type": "text/plain"})
                assert resp.status == 415, (method, path, resp.status)
            if path != "/openapi.json":
                assert "503" in documented, (method, path)
    for method, path in (("post", "/signup"), ("post", "/blocked-numbers"), ("post", "/book"),
                         ("post", "/appointments/{id}/cancel")):
        assert "409" in doc["paths"][path][method]["responses"], (method, path)
    for method, path in (("post", "/login"), ("post", "/test-calls")):
        responses = doc["paths"][path][method]["responses"]
        assert "429" in responses, (method, path)
    assert "409" not in doc["paths"]["/kb/search"]["get"]["responses"]


def test_signup_documents_that_it_can_be_turned_off(httpd_factory):
    web = httpd_factory("CortanaSignup Off")
    owner = Owner(web)
    resp = owner.signup(new_email())
    assert resp.status == 403 and resp.json()["error"]["code"] == "signup_disabled", resp.text
    doc = owner.get("/openapi.json").json()
    assert "403" in doc["paths"]["/signup"]["post"]["responses"]
    assert "403" not in doc["paths"]["/login"]["post"]["responses"]


def sample_values(schema):
    """(accepted, refused) values of a documented query parameter's schema."""
    if schema.get("type") == "integer":
        lo, hi = schema["minimum"], schema.get("maximum")
        good = [lo] + ([hi] if hi is not None else [])
        bad = [lo - 1, "x"] + ([hi + 1] if hi is not None else [])
        return [str(v) for v in good], [str(v) for v in bad]
    if schema.get("type") == "boolean":
        return ["true", "false"], ["yes", "1"]
    if "enum" in schema:
        return list(schema["enum"]), ["not-one-of-them"]
    if schema.get("format") == "date":
        return ["2026-01-15"], ["2026-02-30", "15/01/2026"]
    if schema.get("format") == "date-time":
        return ["2030-01-15T10:00:00Z"], ["2030-01-15T10:00", "soon"]
    if "maxLength" in schema:  # characters, not bytes: "ñ" is two
        return (["a" * schema["maxLength"], "%C3%B1" * schema["maxLength"]],
                ["a" * (schema["maxLength"] + 1), "%C3%B1" * (schema["maxLength"] + 1)])
    return [], []


def test_query_parameters_take_what_their_schemas_say(world):
    """Each documented query parameter has a real schema (types, enums,
    bounds, required), and the server agrees with it: a value the schema
    allows is taken, one it does not is a 400 naming the parameter, and a
    required one left out is too."""
    owner, ids, doc = world
    if owner.get("/me").status == 401:  # walking every operation included POST /logout
        assert owner.login(owner.me["user"]["email"]).status == 200
    walked = 0
    for path, item in doc["paths"].items():
        op = item.get("get")
        if op is None or path == "/transcripts":  # the feed's own test walks it (test_sse.py)
            continue
        params = [p for p in op["parameters"] if p["in"] == "query"]
        base = {p["name"]: "warranty" for p in params if p.get("required")}
        for p in params:
            name, schema = p["name"], p["schema"]
            assert "type" in schema, (path, name)
            assert isinstance(p.get("required"), bool), (path, name)
            if p.get("required"):
                resp = owner.get(path)
                assert resp.status == 400 and resp.json()["error"]["field"] == name, (path, name)
            good, bad = sample_values(schema)
            for value in good:
                query = "&".join(f"{k}={v}" for k, v in {**base, name: value}.items())
                resp = owner.get(f"{path}?{query}")
                assert resp.status == 200, (path, name, value, resp.text)
                walked += 1
            for value in bad:
                query = "&".join(f"{k}={v}" for k, v in {**base, name: value}.items())
                resp = owner.get(f"{path}?{query}")
                assert resp.status == 400, (path, name, value, resp.text)
                assert resp.json()["error"]["field"] == name, (path, name, value, resp.text)
    documented = {(path, p["name"]): p["schema"] for path, item in doc["paths"].items()
                  for p in item.get("get", {}).get("parameters", []) if p["in"] == "query"}
    assert documented[("/calls", "limit")] == {"type": "integer", "minimum": 1, "maximum": 200,
                                               "description": "calls a page holds"}
    assert documented[("/appointments", "limit")]["maximum"] == 500
    assert documented[("/calls", "emergency")]["type"] == "boolean"
    assert "booked" in documented[("/calls", "disposition")]["enum"]
    assert documented[("/analytics", "from")]["format"] == "date"
    assert documented[("/transcripts", "last_event_id")]["type"] == "integer"
    assert walked >= 30, walked


def request_schema(node):
    """A documented schema as a request sees it: readOnly members are never
    sent, so their being required applies to responses only (OpenAPI 3.0)."""
    if isinstance(node, list):
        return [request_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: request_schema(v) for k, v in node.items()}
    props = node.get("properties", {})
    if isinstance(node.get("required"), list):
        node["required"] = [m for m in node["required"] if not props.get(m, {}).get("readOnly")]
    return node


def test_bodies_the_server_accepts_are_valid_by_the_document(world):
    """A body a route takes must validate against its documented requestBody:
    every update (PATCH) takes one member alone, so its document must not
    require the members a creation requires."""
    owner, ids, doc = world
    if owner.get("/me").status == 401:  # walking every operation included POST /logout
        assert owner.login(owner.me["user"]["email"]).status == 200
    root = nullable_to_json_schema(request_schema(copy.deepcopy(doc)))
    samples = {("patch", "/technicians/{id}"): {"active": False},
               ("patch", "/kb/{id}"): {"language": "es"},
               ("patch", "/business"): {"address": "2 Main St"},
               ("patch", "/personality"): {"tone": "calm"},
               ("patch", "/me"): {"locale": "en"},
               ("post", "/personality/preview"): {}}
    for (method, path), body in samples.items():
        concrete = path.replace("{id}", ids.get(path.split("/")[1], ""))
        resp = owner.request(method.upper(), concrete, body)
        assert resp.status < 400, (method, path, resp.text)
        schema = root["paths"][path][method]["requestBody"]["content"]["application/json"][
            "schema"]
        validator = jsonschema.Draft7Validator(
            schema, resolver=jsonschema.RefResolver.from_schema(root))
        errors = [e.message for e in validator.iter_errors(body)]
        assert not errors, (method, path, errors)
    # …and a creation's document still requires what the server requires
    create = root["paths"]["/technicians"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]
    validator = jsonschema.Draft7Validator(create,
                                           resolver=jsonschema.RefResolver.from_schema(root))
    assert not validator.is_valid({"active": False})
    assert owner.post("/technicians", {"active": False}).status == 400


def test_documented_bodies_refuse_unknown_members(world):
    owner, ids, doc = world
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if "requestBody" not in op or path in ("/signup", "/login"):
                continue
            concrete = path.replace("{id}", ids.get(path.split("/")[1], ""))
            resp = owner.request(method.upper(), concrete, {"no_such_member": 1})
            assert resp.status == 400, (method, path, resp.text)
            assert resp.json()["error"]["field"] == "no_such_member", (method, path)


def test_the_kb_size_limit_is_documented_in_characters(httpd, srcdir):
    """A knowledge-base document's size limit is the same number in the README and
    the OpenAPI document, and it counts characters: that many ñ are taken, one more
    is a 400 naming content."""
    owner = Owner(httpd)
    assert owner.signup(new_email()).status == 201
    doc = owner.get("/openapi.json").json()["components"]["schemas"]["KbDocument"]
    limit = doc["properties"]["content"]["maxLength"]
    assert "characters" in doc["properties"]["content"].get("description", "")
    assert f"content up to {limit:,} characters" in (srcdir / "README.md").read_text()
    ok = owner.post("/kb", {"title": "Largo", "content": "ñ" * limit, "language": "es"})
    assert ok.status == 201, ok.text
    over = owner.post("/kb", {"title": "Largo", "content": "ñ" * (limit + 1), "language": "es"})
    assert over.status == 400 and over.json()["error"]["field"] == "content", over.text
