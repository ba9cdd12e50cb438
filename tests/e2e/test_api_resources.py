"""The owner REST API's resources: settings, personality, technicians,
knowledge base, calls, appointments, test calls, analytics."""
import json
import time
from datetime import datetime
import uuid

import pytest

from owner import Owner
from test_api import error_of, new_email


@pytest.fixture
def owner(httpd):
    o = Owner(httpd)
    assert o.signup(new_email(), timezone="America/Chicago").status == 201
    return o


def wait_for_call(owner, call_sid, ended=True, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for c in owner.get("/calls?limit=50").json()["items"]:
            if c["call_sid"] == call_sid and (not ended or c["status"] != "in-progress"):
                return c
        time.sleep(0.2)
    raise AssertionError(f"call {call_sid} did not {'end' if ended else 'start'}")


# ------------------------------------------------------------------ business

HOURS = {"monday": [{"open": "08:00", "close": "12:00"}, {"open": "13:00", "close": "17:00"}],
         "tuesday": [{"open": "08:00", "close": "17:00"}], "sunday": []}


def test_business_settings_round_trip(owner):
    body = {"name": "Acme Drains", "address": "1 Main St", "owner_phone": "+13125550100",
            "hours": HOURS, "holidays": [{"date": "2026-12-25", "name": "Christmas"}],
            "service_area": {"zips": ["60614", "60657"], "radius_miles": 15},
            "services": [{"name": "Drain cleaning", "duration_minutes": 60, "price_min": 129,
                          "price_max": 249}],
            "pricing": {"service_call_fee": 89, "notes": {"en": "Fee waived if we fix it."}},
            "settings": {"ack_window_seconds": 120, "emergency_rules": [
                {"phrase": "water heater leaking", "category": "flooding"}]}}
    resp = owner.patch("/business", body)
    assert resp.status == 200, resp.text
    got = owner.get("/business").json()
    for key, value in body.items():
        assert got[key] == value, key
    # settings merge: one member changes, the others stay
    owner.patch("/business", {"settings": {"overflow_limit": 5}})
    settings = owner.get("/business").json()["settings"]
    assert settings["overflow_limit"] == 5 and settings["ack_window_seconds"] == 120


def test_saved_hours_are_what_calls_use(owner, pg):
    owner.patch("/business", {"hours": HOURS})
    (hours,) = pg.query("SELECT hours FROM businesses WHERE id = %s",
                        (owner.me["business"]["id"],))[0]
    assert hours["monday"][1] == {"open": "13:00", "close": "17:00"}


@pytest.mark.parametrize("body,field", [
    ({"hours": {"monday": [{"open": "8am", "close": "17:00"}]}}, "hours.monday[0].open"),
    ({"hours": {"funday": []}}, "hours.funday"),
    ({"hours": {"monday": [{"open": "08:00"}]}}, None),
    ({"services": [{"name": "x", "duration_minutes": 5}]}, "services[0].duration_minutes"),
    ({"services": [{"name": "x", "price_min": -1}]}, "services[0].price_min"),
    ({"timezone": "Nowhere/Special"}, "timezone"),
    ({"holidays": [{"date": "2026-02-30"}]}, "holidays[0].date"),
    ({"owner_phone": "312-555-0100"}, "owner_phone"),
    ({"phone_number": "+13125550199"}, "phone_number"),
    ({"settings": {"ack_window_seconds": 5}}, "settings.ack_window_seconds"),
    ({"settings": {"emergency_rules": [{"phrase": "x", "category": "boom"}]}},
     "settings.emergency_rules[0]"),
    ({"name": None}, "name"),
    ({"id": str(uuid.uuid4())}, "id"),
    ({"services": [{"name": "Drain", "price_min": 100, "price_max": 100},
                   {"name": "Sewer", "price_min": 300, "price_max": 99.5}]},
     "services[1].price_max"),
])
def test_business_validation_names_the_field(owner, body, field):
    resp = owner.patch("/business", body)
    assert resp.status == 400, resp.text
    got = error_of(resp)["field"]
    if field is None:
        assert got.startswith("hours.monday[0]")
    else:
        assert got.startswith(field), got


# --------------------------------------------------------------- personality

def test_personality_and_preview(owner):
    resp = owner.patch("/personality", {"tone": "professional", "assistant_name": "Ava",
                                        "greeting": {"en": "Thank you for calling {business}."},
                                        "rules": ["never quote exact prices"]})
    assert resp.status == 200, resp.text
    assert owner.get("/personality").json()["assistant_name"] == "Ava"
    preview = owner.post("/personality/preview", {"language": "en"})
    assert preview.status == 200, preview.text
    p = preview.json()
    greeting = " ".join(p["greeting"])
    assert "Thank you for calling Test Plumbing" in greeting
    assert "AI" in greeting  # the disclosure is on by default
    assert p["reply"] and p["caller"]
    # unsaved changes preview without being saved
    p2 = owner.post("/personality/preview", {"language": "es", "personality": {
        "greeting": {"es": "Gracias por llamar a {business}, habla {assistant}."}}}).json()
    assert "habla Ava" in " ".join(p2["greeting"])
    assert "es" not in owner.get("/personality").json()["greeting"]
    bad = owner.patch("/personality", {"tone": "sarcastic"})
    assert bad.status == 400 and error_of(bad)["field"] == "tone"


def test_the_preview_renders_every_offered_language_and_validates_like_patch(owner):
    """The preview shows the greeting and a sample turn in each language the
    (unsaved) personality offers, takes a personality exactly as PATCH
    /personality does (the same error for the same member, named where it is
    in the body), and saves nothing."""
    saved = owner.get("/personality").json()
    p = owner.post("/personality/preview", {"language": "en", "personality": {
        "languages": ["es", "en"], "assistant_name": "Ava",
        "greeting": {"en": "Thanks for calling {business}.",
                     "es": "Gracias por llamar a {business}."}}})
    assert p.status == 200, p.text
    langs = p.json()["languages"]
    assert [x["language"] for x in langs] == ["es", "en"]
    assert "Gracias por llamar a Test Plumbing" in " ".join(langs[0]["greeting"])
    assert "Thanks for calling Test Plumbing" in " ".join(langs[1]["greeting"])
    for x in langs:
        assert x["caller"] and x["reply"] and x["sign_off"] and x["voice"]
    assert "drenaje" in langs[0]["caller"] and "drain" in langs[1]["caller"]
    # the members the dashboard reads are still those of the asked language
    assert p.json()["greeting"] == langs[1]["greeting"]
    only = owner.post("/personality/preview", {"personality": {"languages": ["es"]}}).json()
    assert [x["language"] for x in only["languages"]] == ["es"]
    assert only["greeting"] == only["languages"][0]["greeting"]  # no language: the first
    for bad in ({"tone": "sarcastic"}, {"languages": []}, {"languages": ["fr"]},
                {"greeting": {"de": "Hallo"}}, {"rules": [""]}, {"assistant_name": ""},
                {"disclose_ai": "yes"}, {"voice": {"en": 3}}, {"colour": "blue"}):
        put = owner.patch("/personality", bad)
        pre = owner.post("/personality/preview", {"personality": bad})
        assert put.status == pre.status == 400, (bad, put.text, pre.text)
        e_put, e_pre = error_of(put), error_of(pre)
        assert (e_pre["code"], e_pre["message"]) == (e_put["code"], e_put["message"]), bad
        assert e_pre["field"] == "personality." + e_put["field"], (bad, e_pre, e_put)
    assert owner.get("/personality").json() == saved


# --------------------------------------------------------------- technicians

def test_technicians_crud_and_on_call_order(owner):
    ids = []
    for name, phone in (("Dave", "+13125550111"), ("Maria", "+13125550112"),
                        ("Lee", "+13125550113")):
        resp = owner.post("/technicians", {"name": name, "phone": phone})
        assert resp.status == 201, resp.text
        ids.append(resp.json()["id"])
    listed = owner.get("/technicians").json()["items"]
    assert [t["name"] for t in listed] == ["Dave", "Maria", "Lee"]
    resp = owner.put("/technicians/order", {"ids": [ids[2], ids[0], ids[1]]})
    assert resp.status == 200, resp.text
    assert [t["name"] for t in resp.json()["items"]] == ["Lee", "Dave", "Maria"]
    partial = owner.put("/technicians/order", {"ids": [ids[0]]})
    assert partial.status == 400 and error_of(partial)["field"] == "ids"
    assert owner.patch(f"/technicians/{ids[1]}", {"active": False}).json()["active"] is False
    assert owner.get(f"/technicians/{ids[1]}").json()["active"] is False
    bad = owner.post("/technicians", {"name": "X", "phone": "5550111"})
    assert bad.status == 400 and error_of(bad)["field"] == "phone"
    missing = owner.post("/technicians", {"phone": "+13125550114"})
    assert missing.status == 400 and error_of(missing)["field"] == "name"
    assert owner.delete(f"/technicians/{ids[0]}").status == 204
    assert owner.get(f"/technicians/{ids[0]}").status == 404
    assert owner.get("/technicians/not-a-uuid").status == 404



def test_an_on_call_position_belongs_to_one_technician(owner):
    """An explicit on_call_order, on a new technician or a changed one, may
    not take another's position (two texted 'first' is no order): 409 naming
    it. PUT /technicians/order reorders; a free position is taken."""
    first = owner.post("/technicians", {"name": "A", "phone": "+13125550121"}).json()
    second = owner.post("/technicians", {"name": "B", "phone": "+13125550122"}).json()
    assert (first["on_call_order"], second["on_call_order"]) == (1, 2)
    taken = owner.post("/technicians", {"name": "C", "phone": "+13125550123",
                                        "on_call_order": 1})
    assert taken.status == 409, taken.text
    assert error_of(taken)["field"] == "on_call_order", taken.text
    # said for an owner: who holds the place, and how to change the order, not an API path
    said = error_of(taken)["message"]
    assert "A" in said and "on-call order" in said and "/" not in said and "PUT" not in said, said
    moved = owner.patch(f"/technicians/{second['id']}", {"on_call_order": 1})
    assert moved.status == 409 and error_of(moved)["field"] == "on_call_order", moved.text
    assert owner.patch(f"/technicians/{second['id']}", {"on_call_order": 2}).status == 200
    free = owner.post("/technicians", {"name": "C", "phone": "+13125550123", "on_call_order": 5})
    assert free.status == 201 and free.json()["on_call_order"] == 5, free.text
    assert owner.patch(f"/technicians/{second['id']}", {"on_call_order": 3}).status == 200
    orders = [t["on_call_order"] for t in owner.get("/technicians").json()["items"]]
    assert sorted(orders) == [1, 3, 5], orders
    doc = owner.get("/openapi.json").json()["paths"]
    assert "409" in doc["/technicians"]["post"]["responses"]
    assert "409" in doc["/technicians/{id}"]["patch"]["responses"]


# ------------------------------------------------------------ knowledge base

def test_technicians_added_at_once_get_positions_of_their_own(owner):
    """Each new technician goes to the end of the on-call list, even when
    several are added at the same moment (an import, a double submit)."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda i: owner.post("/technicians", {
            "name": f"Tech {i}", "phone": f"+1312555{i:04d}"}), range(16)))
    assert all(r.status == 201 for r in made), [r.text for r in made if r.status != 201]
    orders = sorted(r.json()["on_call_order"] for r in made)
    assert orders == list(range(1, 17)), orders


def test_kb_crud_and_search_answers_like_cortana(owner):
    resp = owner.post("/kb", {"title": "Financing", "content":
                              "We offer financing on water heaters with 12 months same as cash."})
    assert resp.status == 201, resp.text
    doc = resp.json()
    assert owner.get("/kb").json()["items"][0]["title"] == "Financing"
    hit = owner.get("/kb/search?q=do+you+offer+financing").json()
    assert hit["found"] and "12 months" in hit["answer"]
    miss = owner.get("/kb/search?q=do+you+sell+boats").json()
    assert miss["found"] is False and miss["answer"] is None
    assert owner.get("/kb/search").status == 400
    upd = owner.patch(f"/kb/{doc['id']}", {"content": "Financing is 24 months same as cash."})
    assert upd.status == 200 and upd.json()["updated_at"] >= doc["updated_at"]
    assert "24 months" in owner.get("/kb/search?q=financing").json()["answer"]
    big = owner.post("/kb", {"title": "Huge", "content": "x" * 20001})
    assert big.status == 400 and error_of(big)["field"] == "content"
    # the limit is 20,000 characters, however many bytes a Spanish text takes
    spanish = owner.post("/kb", {"title": "Tuber\u00edas", "content": "\u00f1" * 20000,
                                 "language": "es"})
    assert spanish.status == 201, spanish.text
    assert owner.delete(f"/kb/{spanish.json()['id']}").status == 204
    assert owner.delete(f"/kb/{doc['id']}").status == 204
    assert owner.get(f"/kb/{doc['id']}").status == 404


# ------------------------------------------------------ appointments, booking

def test_availability_booking_conflict_and_cancel(owner):
    owner.patch("/business", {"hours": {d: [{"open": "08:00", "close": "17:00"}] for d in (
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}})
    slots = owner.get("/availability?count=3&duration_minutes=60").json()["slots"]
    assert len(slots) == 3 and all(s["label"] for s in slots)
    first = slots[0]["starts_at"]
    body = {"starts_at": first, "customer_name": "Pat", "customer_phone": "+13125550177",
            "problem": "leaky faucet"}
    resp = owner.post("/book", body)
    assert resp.status == 201, resp.text
    appt = resp.json()
    again = owner.post("/book", body)
    assert again.status == 409 and error_of(again)["code"] == "slot_taken"
    later = owner.get("/availability?count=1&duration_minutes=60").json()["slots"][0]
    assert later["starts_at"] != first
    listed = owner.get("/appointments").json()["items"]
    assert [a["id"] for a in listed] == [appt["id"]]
    assert owner.post(f"/appointments/{appt['id']}/cancel").json()["status"] == "canceled"
    assert owner.post("/book", body).status == 201  # the slot is free again
    assert owner.post("/book", {**body, "starts_at": "tomorrow"}).status == 400
    no_such_day = owner.post("/book", {**body, "starts_at": "2026-02-30T10:00:00Z"})
    assert no_such_day.status == 400 and error_of(no_such_day)["field"] == "starts_at"
    assert owner.get("/appointments?from=nope").status == 400


def test_availability_and_booking_across_dst_days_in_the_business_zone(owner):
    owner.patch("/business", {"hours": {d: [{"open": "00:00", "close": "24:00"}] for d in (
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}})

    def starts(frm, count):
        resp = owner.get(f"/availability?from={frm}&count={count}&duration_minutes=60")
        assert resp.status == 200, resp.text
        return [s["starts_at"] for s in resp.json()["slots"]]

    # Chicago springs forward on 2027-03-14: 01:30 CST (07:30Z), then 03:00 CDT (08:00Z).
    assert starts("2027-03-14T00:00:00-06:00", 5) == [
        "2027-03-14T06:00:00Z", "2027-03-14T06:30:00Z", "2027-03-14T07:00:00Z",
        "2027-03-14T07:30:00Z", "2027-03-14T08:00:00Z"]
    # ... and falls back on 2027-11-07: 01:00 and 01:30 come as CDT (06:xxZ) and CST (07:xxZ).
    assert starts("2027-11-07T00:30:00-05:00", 5) == [
        "2027-11-07T05:30:00Z", "2027-11-07T06:00:00Z", "2027-11-07T06:30:00Z",
        "2027-11-07T07:00:00Z", "2027-11-07T07:30:00Z"]
    body = {"customer_name": "Pat", "customer_phone": "+13125550177", "duration_minutes": 30}
    first = owner.post("/book", {**body, "starts_at": "2027-11-07T01:30:00-05:00"})
    second = owner.post("/book", {**body, "starts_at": "2027-11-07T01:30:00-06:00"})
    assert first.status == 201 and second.status == 201, (first.text, second.text)
    assert first.json()["starts_at"].startswith("2027-11-07T06:30:00")
    assert second.json()["starts_at"].startswith("2027-11-07T07:30:00")
    taken = starts("2027-11-07T01:00:00-05:00", 8)
    assert "2027-11-07T06:30:00Z" not in taken and "2027-11-07T07:30:00Z" not in taken
    assert owner.post(f"/appointments/{second.json()['id']}/cancel").status == 200
    listed = owner.get("/appointments?from=2027-11-07&to=2027-11-07&status=booked").json()
    assert [a["id"] for a in listed["items"]] == [first.json()["id"]]


def test_availability_takes_only_a_language_cortana_speaks(owner):
    assert owner.get("/availability?count=1&language=es").status == 200
    for bad in ("fr", "EN", "english"):
        resp = owner.get(f"/availability?count=1&language={bad}")
        assert resp.status == 400 and error_of(resp)["field"] == "language", (bad, resp.text)


def test_a_booking_in_the_past_is_refused(owner):
    body = {"starts_at": "2020-03-02T15:00:00Z", "customer_name": "Pat",
            "customer_phone": "+13125550177"}
    resp = owner.post("/book", body)
    assert resp.status == 400 and error_of(resp)["field"] == "starts_at", resp.text
    assert owner.get("/appointments").json()["items"] == []


def test_only_a_live_appointment_can_be_canceled(owner, pg):
    owner.patch("/business", {"hours": {d: [{"open": "00:00", "close": "24:00"}] for d in (
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}})
    slots = owner.get("/availability?count=10").json()["slots"]  # first and last are apart
    done, gone = (owner.post("/book", {"starts_at": s["starts_at"], "customer_name": "Pat",
                                       "customer_phone": "+13125550177"}).json()
                  for s in (slots[0], slots[-1]))
    pg.execute("UPDATE appointments SET status = 'completed' WHERE id = %s", (done["id"],))
    resp = owner.post(f"/appointments/{done['id']}/cancel")
    assert resp.status == 409 and error_of(resp)["field"] == "status", resp.text
    (status,), = pg.query("SELECT status FROM appointments WHERE id = %s", (done["id"],))
    assert status == "completed"
    assert owner.post(f"/appointments/{gone['id']}/cancel").status == 200
    again = owner.post(f"/appointments/{gone['id']}/cancel")
    assert again.status == 409 and error_of(again)["code"] == "conflict", again.text
    assert owner.post(f"/appointments/{uuid.uuid4()}/cancel").status == 404


def test_appointments_page_with_a_cursor_past_a_thousand(owner, pg):
    """The calendar pages like the call log: every row is reachable, soonest
    first, instead of the list stopping at 1,000 without a word."""
    bid = owner.me["business"]["id"]
    pg.execute("INSERT INTO appointments (business_id, starts_at, ends_at, customer_name, "
               "customer_phone) SELECT %s, t, t + interval '30 minutes', 'C', '+13125550170' "
               "FROM (SELECT timestamptz '2027-01-04 14:00+00' + make_interval(hours => g) AS t "
               "FROM generate_series(1, 1203) g) s", (bid,))
    first = owner.get("/appointments?limit=2")
    assert first.status == 200, first.text
    assert len(first.json()["items"]) == 2 and first.json()["next_cursor"]
    seen, cursor = [], None
    while True:
        page = owner.get("/appointments?limit=500" + (f"&cursor={cursor}" if cursor else ""))
        assert page.status == 200, page.text
        seen += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 1203 and len({a["id"] for a in seen}) == 1203
    assert [a["starts_at"] for a in seen] == sorted(a["starts_at"] for a in seen)
    assert owner.get("/appointments").json()["next_cursor"]  # a default page, not everything
    for bad in ("limit=0", "limit=501", "cursor=xyz"):
        resp = owner.get(f"/appointments?{bad}")
        assert resp.status == 400 and error_of(resp)["field"] == bad.split("=")[0], bad


# -------------------------------------------------- test calls, calls, block

def test_one_owner_cannot_take_every_test_call_line(httpd_factory):
    """Test calls share a few lines per process; one owner may hold half of
    them, so another owner can still place one (429 naming the reason)."""
    web = httpd_factory("StartServers 1\nServerLimit 1\nThreadsPerChild 16\n"
                        "MaxRequestWorkers 16")
    greedy, other = Owner(web), Owner(web)
    assert greedy.signup(new_email()).status == 201
    assert other.signup(new_email()).status == 201
    answers = [greedy.post("/test-calls", {"scenario": "question"}) for _ in range(4)]
    assert [r.status for r in answers] == [202, 202, 429, 429], [r.text for r in answers]
    assert answers[2].header("Retry-After"), answers[2].headers
    assert "this business" in error_of(answers[2])["message"], answers[2].text
    resp = other.post("/test-calls", {"scenario": "question"})
    assert resp.status == 202, resp.text
    for sid in [r.json()["call_sid"] for r in answers[:2]] + [resp.json()["call_sid"]]:
        wait_for_call(greedy if sid != resp.json()["call_sid"] else other, sid)


def test_a_test_call_unfolds_at_a_speaking_pace(owner):
    """The owner watches the conversation: the scripted caller takes about as
    long as a person to say each line, not a few milliseconds for the call."""
    resp = owner.post("/test-calls", {"scenario": "question"})
    assert resp.status == 202, resp.text
    call = wait_for_call(owner, resp.json()["call_sid"])
    lines = owner.get(f"/calls/{call['id']}").json()["transcript"]
    said = [datetime.fromisoformat(line["at"].replace("Z", "+00:00"))
            for line in lines if line["speaker"] == "caller"]
    assert len(said) >= 2, lines
    gaps = [(b - a).total_seconds() for a, b in zip(said, said[1:])]
    assert min(gaps) >= 0.7, gaps


def test_a_test_call_shows_up_with_its_transcript_and_can_be_found(owner):
    owner.post("/technicians", {"name": "Dave", "phone": "+13125550111"})
    resp = owner.post("/test-calls", {"scenario": "emergency", "language": "es"})
    assert resp.status == 202, resp.text
    sid = resp.json()["call_sid"]
    call = wait_for_call(owner, sid)
    assert call["is_test"] and call["language"] == "es" and call["emergency"]
    assert call["disposition"] == "emergency_dispatched"
    detail = owner.get(f"/calls/{call['id']}").json()
    assert detail["call"]["id"] == call["id"]
    speakers = {line["speaker"] for line in detail["transcript"]}
    assert speakers == {"caller", "cortana"}
    assert any("inundando" in line["text"] for line in detail["transcript"])
    assert detail["dispatch"]["status"] in ("notified", "acknowledged", "escalated")
    assert detail["sms"] and detail["sms"][0]["to_number"] == "+13125550111"
    # filters
    assert owner.get("/calls?emergency=true").json()["items"][0]["id"] == call["id"]
    assert owner.get("/calls?language=en").json()["items"] == []
    assert owner.get("/calls?q=inundando").json()["items"][0]["id"] == call["id"]
    assert owner.get("/calls?q=zebra").json()["items"] == []
    assert owner.get("/calls?disposition=booked").json()["items"] == []
    for bad in ("disposition=maybe", "emergency=yes", "limit=0", "limit=9999", "cursor=xyz",
                "from=yesterday"):
        assert owner.get(f"/calls?{bad}").status == 400, bad
    # one tap: block the caller
    blocked = owner.post(f"/calls/{call['id']}/block")
    assert blocked.status == 201 and blocked.json()["phone"] == "+15555550123"
    assert owner.post(f"/calls/{call['id']}/block").status == 201  # idempotent
    assert owner.get(f"/calls/{call['id']}").json()["blocked"] is True
    listed = owner.get("/blocked-numbers").json()["items"]
    assert len(listed) == 1
    assert owner.delete(f"/blocked-numbers/{listed[0]['id']}").status == 204


def test_blocking_a_number_twice_is_a_conflict_on_phone(owner):
    assert owner.post("/blocked-numbers", {"phone": "+13125550161"}).status == 201
    again = owner.post("/blocked-numbers", {"phone": "+13125550161"})
    assert again.status == 409 and error_of(again)["field"] == "phone", again.text


def test_calls_page_with_a_cursor(owner, pg):
    bid = owner.me["business"]["id"]
    pg.execute("INSERT INTO call_logs (business_id, call_sid, from_number, to_number, "
               "started_at, status) SELECT %s, 'CA' || md5(%s || g::text), '+13125550000', "
               "'+13125550001', now() - make_interval(mins => g), 'completed' "
               "FROM generate_series(1, 25) g", (bid, bid))
    seen, cursor = [], None
    while True:
        page = owner.get("/calls?limit=10" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 25 and len(set(seen)) == 25
    starts = [c["started_at"] for c in owner.get("/calls?limit=25").json()["items"]]
    assert starts == sorted(starts, reverse=True)


def test_calls_search_by_number_takes_percent_and_underscore_literally(owner, pg):
    """q matches the caller's number as text: % and _ are not wildcards."""
    bid = owner.me["business"]["id"]
    pg.execute("INSERT INTO call_logs (business_id, call_sid, from_number, to_number, "
               "started_at, status) VALUES (%s, 'CA' || md5(random()::text), '+13125550188', "
               "'+13125550101', now(), 'completed')", (bid,))

    def found(q):
        return [c["from_number"] for c in owner.get(f"/calls?q={q}").json()["items"]]
    assert found("555018") == ["+13125550188"]
    assert found("%25") == [] and found("_") == [] and found("555%25188") == []


def test_calls_list_json_is_what_postgresql_writes(owner, pg):
    """The list's JSON is written in C from binary columns: it must say what
    PostgreSQL's own row_to_json says of the same rows (TimeZone UTC), for
    awkward text, NULLs, whole and fractional seconds and a jsonb member,
    and the cursor must be the last shown row's UTC time to the microsecond."""
    bid = owner.me["business"]["id"]
    awkward = 'quote " back\\ nl\n tab\t bell\x07 slash / caf\u00e9 \u2603 \U0001F527'
    pg.execute("INSERT INTO call_logs (business_id, call_sid, from_number, to_number, "
               "started_at, ended_at, status, duration_s, disposition, language, engine, route, "
               "emergency, is_test, summary, sentiment, failover, realtime_stats) VALUES "
               "(%s, 'CA' || md5(random()::text), '+13125550100', '+13125550101', "
               "'2026-03-08 07:59:59.120000+00', NULL, 'completed', -7, NULL, 'es', 'realtime', "
               "'hours', true, false, %s, 'negative', 'realtime_to_builtin', "
               "'{\"tokens\": 12, \"first_audio_ms\": -1}'), "
               "(%s, 'CA' || md5(random()::text), '+13125550102', '+13125550101', "
               "'1999-12-31 23:59:59+00', '2000-01-01 00:00:00.000001+00', 'in-progress', NULL, "
               "'booked', 'en', 'builtin', NULL, false, true, NULL, NULL, NULL, NULL)",
               (bid, awkward, bid))
    cols = ("id, call_sid, from_number, to_number, started_at, ended_at, status, duration_s, "
            "disposition, language, engine, route, emergency, is_test, summary, sentiment, "
            "failover, realtime_stats AS realtime")
    (expected,), = pg.query(
        "SET TIME ZONE 'UTC'; SELECT json_agg(c ORDER BY started_at DESC, id DESC)::text FROM "
        f"(SELECT {cols} FROM call_logs WHERE business_id = %s) c", (bid,))
    page = owner.get("/calls?limit=1").json()
    assert page["items"] == json.loads(expected)[:1]
    assert page["next_cursor"] == expected_cursor(pg, page["items"][0]["id"])
    page = owner.get(f"/calls?limit=1&cursor={page['next_cursor']}").json()
    assert page["items"] == json.loads(expected)[1:] and page["next_cursor"] is None
    urgent, calm = json.loads(expected)
    assert owner.get("/calls?emergency=true").json()["items"] == [urgent]
    assert owner.get("/calls?emergency=false").json()["items"] == [calm]


def test_calls_dates_are_days_of_the_business(owner, pg):
    """from/to dates are whole days in the business's time zone (Chicago,
    UTC-5 on 10 March 2026); a full time is taken as given."""
    bid = owner.me["business"]["id"]
    (late,), (early,) = pg.query(
        "INSERT INTO call_logs (business_id, call_sid, from_number, to_number, started_at, "
        "status) VALUES (%s, 'CA' || md5(random()::text), '+1', '+1', '2026-03-10 04:30+00', "
        "'completed'), (%s, 'CA' || md5(random()::text), '+1', '+1', '2026-03-10 05:30+00', "
        "'completed') RETURNING id::text", (bid, bid))

    def ids(query):
        return [c["id"] for c in owner.get(f"/calls?{query}").json()["items"]]
    assert ids("from=2026-03-10") == [early]
    assert ids("to=2026-03-09") == [late]
    assert ids("from=2026-03-09&to=2026-03-10") == [early, late]
    assert ids("from=2026-03-10T05:00:00Z") == [early]


def expected_cursor(pg, call_id):
    (cursor,), = pg.query("SELECT to_char(started_at AT TIME ZONE 'UTC', "
                          "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') || '~' || id FROM call_logs "
                          "WHERE id = %s", (call_id,))
    return cursor


def test_analytics_leave_test_calls_out(owner, pg):
    bid = owner.me["business"]["id"]
    pg.execute("INSERT INTO call_logs (business_id, call_sid, from_number, to_number, "
               "started_at, status, disposition, language, emergency, is_test, duration_s) "
               "VALUES (%s, 'CA' || md5(random()::text), '+1', '+1', now(), 'completed', "
               "'booked', 'es', false, false, 120), "
               "(%s, 'CA' || md5(random()::text), '+1', '+1', now(), 'completed', "
               "'abandoned', 'en', false, false, 10), "
               "(%s, 'CA' || md5(random()::text), '+1', '+1', now(), 'completed', "
               "'emergency_dispatched', 'en', true, true, 60)", (bid, bid, bid))
    a = owner.get("/analytics").json()
    assert a["calls"] == 2 and a["answered"] == 1 and a["booked"] == 1
    assert a["conversion"] == 1.0 and a["emergencies"] == 0
    assert a["by_language"] == {"es": 1, "en": 1}
    assert len(a["by_day"]) == 30 and sum(d["calls"] for d in a["by_day"]) == 2
    assert sum(h["calls"] for h in a["by_hour_of_week"]) == 2
    assert owner.get("/analytics?from=2026-01-01&to=2025-01-01").status == 400
    # a range given by its end only is the 30 days up to that end, as the default is
    # the 30 days up to today
    ending = owner.get("/analytics?to=2025-01-31")
    assert ending.status == 200, ending.text
    assert (ending.json()["from"], ending.json()["to"]) == ("2025-01-02", "2025-01-31")
    assert len(ending.json()["by_day"]) == 30
    assert owner.get("/analytics?from=2020-01-01&to=2026-01-01").status == 400


def test_analytics_count_what_an_owner_counts(owner, pg):
    """Hand-computed figures for a few calls around the spring-forward of 2025 in
    Chicago (02:00 CST became 03:00 CDT on Sunday 9 March): answered is a finished
    call Cortana handled (not abandoned, not spam, not still in progress), conversion
    the share of answered calls that booked; days and hours of the week are local."""
    bid = owner.me["business"]["id"]
    calls = [  # started_at (UTC), status, disposition, language, emergency, is_test, duration
        ("2025-03-08 05:59Z", "completed", "booked", "en", False, False, 300),  # Fri 23:59: before
        ("2025-03-09 05:30Z", "completed", "booked", "en", False, False, 120),  # Sat 23:30 CST
        ("2025-03-09 07:30Z", "completed", "abandoned", "en", False, False, 5),  # Sun 01:30 CST
        ("2025-03-09 08:30Z", "completed", "spam", "en", False, False, 20),  # Sun 03:30 CDT
        ("2025-03-09 15:00Z", "completed", "message_taken", "es", True, False, 90),  # Sun 10:00
        ("2025-03-10 14:00Z", "completed", "question_answered", "es", False, False, 60),  # Mon 9:00
        ("2025-03-10 14:15Z", "in-progress", None, "en", True, False, None),  # Mon 09:15, live
        ("2025-03-10 16:00Z", "completed", "booked", "en", False, True, 30),  # a test call
        ("2025-03-11 05:00Z", "completed", "booked", "en", False, False, 300),  # Tue 00:00: after
    ]
    for started, status, disposition, language, emergency, is_test, duration in calls:
        pg.execute("INSERT INTO call_logs (business_id, call_sid, from_number, to_number, "
                   "started_at, status, disposition, language, emergency, is_test, duration_s) "
                   "VALUES (%s, 'CA' || md5(random()::text), '+1', '+1', %s, %s, %s, %s, %s, "
                   "%s, %s)", (bid, started, status, disposition, language, emergency, is_test,
                               duration))
    resp = owner.get("/analytics?from=2025-03-08&to=2025-03-10")
    assert resp.status == 200, resp.text
    a = resp.json()
    assert (a["calls"], a["answered"], a["booked"]) == (6, 3, 1)
    assert a["conversion"] == 0.3333
    assert (a["emergencies"], a["messages"]) == (2, 1)
    assert a["avg_duration_s"] == 59.0  # the five finished calls: (120+5+20+90+60)/5
    assert a["by_language"] == {"en": 4, "es": 2}
    assert a["by_day"] == [{"date": "2025-03-08", "calls": 1, "booked": 1},
                           {"date": "2025-03-09", "calls": 3, "booked": 0},
                           {"date": "2025-03-10", "calls": 2, "booked": 0}]
    assert a["by_hour_of_week"] == [{"dow": 0, "hour": 1, "calls": 1},
                                    {"dow": 0, "hour": 3, "calls": 1},
                                    {"dow": 0, "hour": 10, "calls": 1},
                                    {"dow": 1, "hour": 9, "calls": 2},
                                    {"dow": 6, "hour": 23, "calls": 1}]
    documented = owner.get("/openapi.json").json()["components"]["schemas"]["Analytics"]
    assert "abandoned or spam" in documented["properties"]["answered"]["description"]
    assert "answered calls that booked" in documented["properties"]["conversion"]["description"]
