"""The owner REST API against the real stack: accounts, sessions, CSRF,
rate limits, every resource's happy path and its bad inputs."""
import itertools
import json
import uuid

import pytest

from owner import Owner, fresh_number

_emails = itertools.count(1)


def new_email():
    return f"owner{next(_emails)}-{uuid.uuid4().hex[:8]}@example.com"


@pytest.fixture
def owner(httpd):
    o = Owner(httpd)
    resp = o.signup(new_email())
    assert resp.status == 201, resp.text
    return o


def error_of(resp):
    body = resp.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}, body
    return body["error"]


# ------------------------------------------------------------------ accounts

def test_signup_logs_in_with_a_strict_http_only_cookie(httpd):
    o = Owner(httpd)
    resp = o.signup(new_email(), name="Rapid Rooter", timezone="America/Chicago")
    assert resp.status == 201, resp.text
    cookie = resp.header("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # the dev stack's public URL is http://127.0.0.1
    me = resp.json()
    assert me["business"]["name"] == "Rapid Rooter"
    assert me["business"]["timezone"] == "America/Chicago"
    assert me["user"]["role"] == "owner" and len(me["csrf_token"]) >= 32
    assert o.get("/me").json()["user"]["email"] == me["user"]["email"]


def test_the_cookie_is_secure_behind_an_https_public_url(httpd_factory):
    web = httpd_factory(public_url="https://voice.example.com")
    o = Owner(web)
    resp = o.signup(new_email())
    assert resp.status == 201, resp.text
    assert "; Secure" in resp.header("Set-Cookie")


def test_only_a_loopback_public_url_drops_secure(httpd_factory):
    """The dev stack's http://127.0.0.1 or localhost (any port or path) may send the
    cookie without Secure; a plain-http URL whose host merely starts like one
    (localhost.example.com, 127.0.0.1.nip.io) is a real host, and its cookie stays Secure."""
    for url, secure in [("http://localhost:8080/", False), ("http://127.0.0.1", False),
                        ("http://localhost.example.com", True),
                        ("http://127.0.0.1.nip.io:8080", True), ("http://localhostess.io", True)]:
        web = httpd_factory(public_url=url)
        cookie = Owner(web).signup(new_email()).header("Set-Cookie")
        assert ("; Secure" in cookie) == secure, (url, cookie)


def test_passwords_are_stored_as_argon2id(httpd, pg):
    o = Owner(httpd)
    email = new_email()
    o.signup(email)
    (hashed,) = pg.query("SELECT password_hash FROM users WHERE email = %s", (email,))[0]
    assert hashed.startswith("$argon2id$")
    (token_hash,) = pg.query("SELECT encode(token_hash, 'hex') FROM sessions s JOIN users u "
                             "ON u.id = s.user_id WHERE u.email = %s", (email,))[0]
    assert o.cookie not in token_hash and len(token_hash) == 64


def test_login_logout_and_wrong_password(httpd):
    email = new_email()
    Owner(httpd).signup(email)
    o = Owner(httpd)
    bad = o.login(email, "not the password")
    assert bad.status == 401 and error_of(bad)["code"] == "bad_credentials"
    assert o.login(email).status == 200
    assert o.get("/me").status == 200
    assert o.post("/logout").status == 204
    old_cookie = o.cookie
    assert old_cookie is None
    assert o.get("/me").status == 401


def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(httpd):
    o = Owner(httpd)
    unknown = o.login(new_email(), "whatever password")
    assert unknown.status == 401 and error_of(unknown)["code"] == "bad_credentials"
    assert error_of(unknown)["message"] == "wrong e-mail or password"


def test_a_logged_out_token_is_dead_even_if_replayed(httpd):
    o = Owner(httpd)
    o.signup(new_email())
    token = o.cookie
    assert o.post("/logout").status == 204
    o.cookie = token
    assert o.get("/me").status == 401


def test_signup_validates_and_names_the_field(httpd):
    o = Owner(httpd)
    cases = [
        ({"phone_number": "5551234"}, "phone_number"),
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "password"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"business_name": ""}, "business_name"),
        ({"surprise": 1}, "surprise"),
        ({"business_name": 42}, "business_name"),
    ]
    for change, field in cases:
        body = {"business_name": "X", "phone_number": fresh_number(), "email": new_email(),
                "password": "correct horse battery", **change}
        resp = o.post("/signup", body)
        assert resp.status == 400, (change, resp.text)
        assert error_of(resp)["field"] == field, (change, resp.text)
    missing = o.post("/signup", {"business_name": "X"})
    assert missing.status == 400 and error_of(missing)["field"] == "phone_number"


def test_signup_conflicts_are_409(httpd):
    email, number = new_email(), fresh_number()
    assert Owner(httpd).signup(email, number=number).status == 201
    again = Owner(httpd).signup(email.upper())
    assert again.status == 409 and error_of(again)["field"] == "email"
    taken = Owner(httpd).signup(new_email(), number=number)
    assert taken.status == 409 and error_of(taken)["field"] == "phone_number"


def test_signup_can_be_turned_off(httpd_factory):
    web = httpd_factory("CortanaSignup Off")
    resp = Owner(web).signup(new_email())
    assert resp.status == 403 and error_of(resp)["code"] == "signup_disabled"


def test_invalid_json_and_wrong_content_type(owner):
    resp = owner.request("PATCH", "/business", raw=b"{not json",
                         headers={"Content-Type": "application/json"})
    assert resp.status == 400 and error_of(resp)["code"] == "invalid_json"
    resp = owner.request("PATCH", "/business", raw=b"[1, 2]",
                         headers={"Content-Type": "application/json"})
    assert resp.status == 400
    resp = owner.request("PATCH", "/business", raw=b"name=x",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert resp.status == 415


def test_a_route_without_a_body_takes_nothing_or_an_empty_object(owner):
    path = f"/appointments/{uuid.uuid4()}/cancel"
    for raw in (b"}{", b"{{}}", b"{}}", b"{", b'{"x": 1}'):
        resp = owner.request("POST", path, raw=raw, headers={"Content-Type": "application/json"})
        assert resp.status == 400 and error_of(resp)["code"] == "unexpected_body", (raw, resp.text)
    for raw in (b"", b" {} \n"):
        resp = owner.request("POST", path, raw=raw, headers={"Content-Type": "application/json"})
        assert resp.status == 404, (raw, resp.text)


def test_only_application_json_is_json(owner):
    body = json.dumps({"name": "Acme"}).encode()
    for good in ("application/json", "application/json; charset=utf-8", "Application/JSON ;x=y"):
        resp = owner.request("PATCH", "/business", raw=body, headers={"Content-Type": good})
        assert resp.status == 200, (good, resp.text)
    for bad in ("application/jsonx", "application/json-patch+json", "application/json5",
                "application/jsonl; charset=utf-8"):
        resp = owner.request("PATCH", "/business", raw=body, headers={"Content-Type": bad})
        assert resp.status == 415 and error_of(resp)["code"] == "unsupported_media_type", bad


def test_bodies_over_the_limit_get_413(httpd_factory):
    web = httpd_factory("CortanaAPIMaxBody 1K")
    o = Owner(web)
    assert o.signup(new_email()).status == 201
    resp = o.post("/kb", {"title": "big", "content": "x" * 5000})
    assert resp.status == 413 and error_of(resp)["code"] == "too_large"


def test_csrf_header_is_required_to_change_anything(owner):
    resp = owner.request("PATCH", "/business", {"name": "Hijacked"}, csrf=False)
    assert resp.status == 403 and error_of(resp)["code"] == "csrf"
    resp = owner.request("PATCH", "/business", {"name": "Hijacked"},
                         headers={"X-CSRF-Token": "wrong" * 9}, csrf=False)
    assert resp.status == 403
    assert owner.get("/business").json()["name"] != "Hijacked"


def test_no_session_is_401_everywhere(httpd):
    anon = Owner(httpd)
    for path in ("/me", "/business", "/calls", "/technicians", "/kb", "/analytics",
                 "/appointments", "/personality"):
        resp = anon.get(path)
        assert resp.status == 401, path
        assert error_of(resp)["code"] == "unauthenticated"


def test_unknown_routes_and_methods(owner):
    assert owner.get("/nope").status == 404
    assert error_of(owner.get("/nope"))["code"] == "not_found"
    resp = owner.delete("/business")
    assert resp.status == 405


def test_a_misspelt_query_parameter_is_400_naming_it(owner):
    resp = owner.get("/calls?emergncy=true")
    assert resp.status == 400, resp.text
    assert error_of(resp)["field"] == "emergncy"
    assert owner.get("/calls?emergency=true&limit=5").status == 200
    for path in ("/appointments?stauts=booked", "/availability?cont=3", "/analytics?form=2026-01-01",
                 "/kb/search?q=x&lang=es", "/technicians?active=true", "/business?x="):
        resp = owner.get(path)
        assert resp.status == 400, (path, resp.text)
        assert error_of(resp)["field"] == path.split("?")[1].split("&")[-1].split("=")[0], path


def test_a_repeated_query_parameter_is_400_naming_it(owner):
    """?limit=1&limit=500 is not silently the last one: which one the client
    meant is unknown, so it is refused as a misspelt one is."""
    for path, name in (("/calls?limit=1&limit=200", "limit"),
                       ("/appointments?status=booked&status=canceled", "status"),
                       ("/analytics?from=2026-01-01&to=2026-01-31&from=2026-01-02", "from"),
                       ("/kb/search?q=a&q=b", "q")):
        resp = owner.get(path)
        assert resp.status == 400, (path, resp.text)
        assert error_of(resp)["field"] == name, (path, resp.text)
        assert "more than once" in error_of(resp)["message"], resp.text


def test_failed_logins_are_rate_limited_per_account(httpd_factory):
    web = httpd_factory()
    email = new_email()
    assert Owner(web).signup(email).status == 201
    o = Owner(web)
    statuses = [o.login(email, f"wrong password {i}").status for i in range(6)]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    blocked = o.login(email)  # even the right password waits now
    assert blocked.status == 429 and int(blocked.header("Retry-After")) > 0
    other = new_email()
    assert Owner(web).signup(other).status == 201
    assert Owner(web).login(other).status == 200  # another account is not affected


def test_every_spelling_of_an_account_shares_one_log_in_limit(httpd_factory, pg):
    """The per-account limit is keyed by lower() of the e-mail as PostgreSQL folds it
    to find the account, so guesses spread over spellings of one address share its 5
    failures. (This stack's database is created --no-locale, where lower() folds ASCII
    only, so 'JOSÉ@' and 'josé@' are two accounts here; the test uses ASCII case.)
    An address no account has is limited the same way."""
    web = httpd_factory()
    email = new_email()
    assert Owner(web).signup(email).status == 201
    local, domain = email.split("@")
    spellings = [local.upper() + "@" + domain, local + "@" + domain.upper(), email.title(),
                 email.swapcase(), local.capitalize() + "@" + domain]
    assert [Owner(web).login(s, "wrong password").status for s in spellings] == [401] * 5
    assert Owner(web).login(email).status == 429
    unknown = new_email()
    statuses = [Owner(web).login(s, "guess") for s in (unknown, unknown.upper()) * 3]
    assert [r.status for r in statuses] == [401] * 5 + [429]
    (folded,), = pg.query("SELECT lower(%s)", ("JOSÉ",))
    if folded == "josé":  # a database whose lower() knows É: one account, one limit
        assert Owner(web).signup("JOSÉ." + unknown).status == 201
        assert [Owner(web).login(s, "wrong").status for s in
                ["josé." + unknown] * 5 + ["JOSÉ." + unknown]] == [401] * 5 + [429]


def test_concurrent_failed_logins_cannot_outrun_the_limit(httpd_factory):
    """Attempts sent all at once are counted as they start, not when their
    password check (argon2id, tens of ms) ends: 40 parallel guesses at one
    account get 5 answers and 35 refusals, not 40 answers."""
    import threading
    web = httpd_factory()
    email = new_email()
    assert Owner(web).signup(email).status == 201
    statuses = []

    def guess(i):
        statuses.append(Owner(web).login(email, f"guess number {i}").status)
    threads = [threading.Thread(target=guess, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(401) == 5 and statuses.count(429) == 35, sorted(statuses)


def test_a_good_log_in_does_not_count_against_the_address(httpd_factory):
    web = httpd_factory()
    email = new_email()
    assert Owner(web).signup(email).status == 201
    for _ in range(35):  # more than the 30 failures an address may have
        assert Owner(web).login(email).status == 200


def test_password_change_ends_other_sessions(httpd):
    email = new_email()
    a = Owner(httpd)
    a.signup(email)
    b = Owner(httpd)
    assert b.login(email).status == 200
    wrong = a.post("/password", {"current_password": "nope", "new_password": "a new long one"})
    assert wrong.status == 400 and error_of(wrong)["field"] == "current_password"
    short = a.post("/password", {"current_password": "correct horse battery",
                                 "new_password": "short"})
    assert short.status == 400 and error_of(short)["field"] == "new_password"
    ok = a.post("/password", {"current_password": "correct horse battery",
                              "new_password": "a new long one"})
    assert ok.status == 204, ok.text
    assert a.get("/me").status == 200 and b.get("/me").status == 401
    assert Owner(httpd).login(email, "a new long one").status == 200


def test_a_password_change_rotates_the_session_token(httpd):
    """The session that changed the password gets a new token: a copy of the
    cookie taken before the change (the reason to change a password) is dead;
    the new cookie works with the same CSRF token."""
    email = new_email()
    a = Owner(httpd)
    assert a.signup(email).status == 201
    old, csrf = a.cookie, a.csrf
    ok = a.post("/password", {"current_password": "correct horse battery",
                              "new_password": "a new long one"})
    assert ok.status == 204 and ok.body == b"", ok.text
    cookie = ok.header("Set-Cookie")
    assert cookie and cookie.startswith("cortana_session="), cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert a.cookie and a.cookie != old
    me = a.get("/me")
    assert me.status == 200 and me.json()["csrf_token"] == csrf
    assert a.patch("/me", {"locale": "es"}).status == 200
    thief = Owner(httpd)
    thief.cookie, thief.csrf = old, csrf
    assert thief.get("/me").status == 401
    assert thief.patch("/me", {"locale": "en"}).status == 401
    assert a.post("/logout").status == 204 and a.get("/me").status == 401


def test_interface_language_is_the_owners_choice(owner):
    resp = owner.patch("/me", {"locale": "es"})
    assert resp.status == 200 and resp.json()["user"]["locale"] == "es"
    assert owner.patch("/me", {"locale": "fr"}).status == 400
