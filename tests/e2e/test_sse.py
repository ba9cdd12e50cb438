"""GET /api/transcripts: the live feed over Server-Sent Events."""
import time

import pytest

from owner import EventStream, Owner
from test_api import error_of, new_email


def signed_up(web, name="Live Plumbing"):
    o = Owner(web)
    assert o.signup(new_email(), name=name).status == 201
    return o


def collect_call(stream, call_sid, timeout=30):
    events = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        ev = stream.next_event(timeout=deadline - time.time())
        assert ev is not None, f"no call.ended for {call_sid}; got {events}"
        if ev["data"].get("call_sid") == call_sid:
            events.append(ev)
            if ev["event"] == "call.ended":
                return events
    raise AssertionError("timed out")


def db_lines(pg, call_sid):
    return pg.query("SELECT t.seq, t.speaker, t.text FROM transcript_lines t JOIN call_logs c "
                    "ON c.id = t.call_log_id WHERE c.call_sid = %s ORDER BY t.seq", (call_sid,))


def test_events_of_a_call_arrive_live_and_in_order(httpd, pg):
    owner = signed_up(httpd)
    stream = EventStream(owner)
    assert stream.status == 200 and "text/event-stream" in stream.headers
    sid = owner.post("/test-calls", {"scenario": "booking"}).json()["call_sid"]
    events = collect_call(stream, sid)
    stream.close()
    kinds = [e["event"] for e in events]
    assert kinds[0] == "call.started" and kinds[-1] == "call.ended"
    assert "transcript" in kinds and "call.updated" in kinds
    ids = [int(e["id"]) for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    lines = [e["data"] for e in events if e["event"] == "transcript"]
    assert [(l["seq"], l["speaker"], l["text"]) for l in lines] == [
        (seq, speaker, text[:600]) for seq, speaker, text in db_lines(pg, sid)]
    assert all(l["call_id"] == events[0]["data"]["call_id"] for l in lines)


def test_another_tenants_events_never_arrive(httpd):
    a, b = signed_up(httpd, "Alpha"), signed_up(httpd, "Bravo")
    sa, sb = EventStream(a), EventStream(b)
    sid = a.post("/test-calls", {"scenario": "question"}).json()["call_sid"]
    collect_call(sa, sid)
    leaked = sb.next_event(timeout=1.0)
    assert leaked is None, leaked
    sa.close()
    sb.close()


def test_last_event_id_resumes_without_loss(httpd):
    owner = signed_up(httpd)
    first = EventStream(owner)
    sid = owner.post("/test-calls", {"scenario": "booking"}).json()["call_sid"]
    got = [first.next_event(timeout=15) for _ in range(3)]
    first.close()
    assert all(got)
    resumed = EventStream(owner, last_event_id=got[-1]["id"])
    rest = collect_call(resumed, sid)
    resumed.close()
    ids = [int(e["id"]) for e in got + rest]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    # compare with one uninterrupted view of the ring: the same events
    full = EventStream(owner, last_event_id=int(got[0]["id"]) - 1)
    everything = collect_call(full, sid)
    full.close()
    assert [e["id"] for e in everything] == [e["id"] for e in got + rest
                                             if e["data"].get("call_sid") == sid]


def test_last_event_id_as_a_query_parameter_is_that_name_only(httpd):
    """?last_event_id= resumes as the header does (for a client that cannot set
    headers); a parameter whose name merely ends in it is not it, but a 400."""
    owner = signed_up(httpd)
    first = EventStream(owner)
    sid = owner.post("/test-calls", {"scenario": "question"}).json()["call_sid"]
    got = first.next_event(timeout=15)
    first.close()
    assert got and got["event"] == "call.started"
    before = int(got["id"]) - 1
    wrong = owner.get(f"/transcripts?xlast_event_id={before}")
    assert wrong.status == 400 and error_of(wrong)["field"] == "xlast_event_id", wrong.text
    documented = owner.get("/openapi.json").json()["paths"]["/transcripts"]["get"]
    assert [p["name"] for p in documented["parameters"]] == ["last_event_id"]
    assert "400" in documented["responses"]
    resumed = EventStream(owner, query=f"last_event_id={before}")
    assert resumed.status == 200
    assert resumed.next_event(timeout=15)["id"] == got["id"]
    collect_call(resumed, sid)
    resumed.close()


def test_a_last_event_id_that_is_no_event_id_is_a_400(httpd):
    """The feed's ids are numbers, and a browser's EventSource only ever sends
    back one it was given: anything else is a client's mistake, answered 400
    naming it, not a resume from 0 (a replay the viewer did not ask for)."""
    owner = signed_up(httpd)
    for header, query, field in (("abc", None, "Last-Event-ID"),
                                 ("12abc", None, "Last-Event-ID"),
                                 ("-1", None, "Last-Event-ID"),
                                 ("99999999999999999999999", None, "Last-Event-ID"),
                                 (None, "last_event_id=abc", "last_event_id"),
                                 (None, "last_event_id=1&last_event_id=2", "last_event_id")):
        stream = EventStream(owner, last_event_id=header, query=query)
        try:
            assert stream.status == 400, (header, query, stream.headers)
            body = stream.sock.recv(65536).decode() if not stream.buf else stream.buf.decode()
            assert f'"field":"{field}"' in body, (header, query, body)
        finally:
            stream.close()
    ok = EventStream(owner, last_event_id="")  # an empty one is none (EventSource never sends it)
    assert ok.status == 200
    ok.close()


def test_a_viewer_away_too_long_is_replayed_from_the_database(httpd_factory, pg):
    web = httpd_factory("CortanaEventRingSize 64")
    owner = signed_up(web)
    stream = EventStream(owner)
    sid0 = owner.post("/test-calls", {"scenario": "question"}).json()["call_sid"]
    first = collect_call(stream, sid0)
    stream.close()
    last_seen = first[0]["id"]  # the viewer saw only call.started, then went away
    sids = []
    for _ in range(3):  # enough events to overwrite the 64-slot ring
        sid = owner.post("/test-calls", {"scenario": "booking"}).json()["call_sid"]
        sids.append(sid)
        deadline = time.time() + 30
        while pg.query("SELECT status FROM call_logs WHERE call_sid = %s", (sid,)) in (
                [], [("in-progress",)]):
            assert time.time() < deadline
            time.sleep(0.2)
    resumed = EventStream(owner, last_event_id=last_seen)
    replayed = []
    while True:
        ev = resumed.next_event(timeout=10 if not replayed else 2)
        if ev is None:
            break
        replayed.append(ev)
    resumed.close()
    assert replayed and all(e["data"].get("replayed") for e in replayed)
    for sid in [sid0] + sids:
        lines = [(e["data"]["seq"], e["data"]["text"]) for e in replayed
                 if e["event"] == "transcript" and e["data"]["call_sid"] == sid]
        assert lines == [(seq, text) for seq, _, text in db_lines(pg, sid)], sid
        assert any(e["event"] == "call.ended" and e["data"]["call_sid"] == sid
                   for e in replayed)


def closed_within(stream, seconds):
    """True when the server ends the stream within `seconds`."""
    deadline = time.time() + seconds
    try:
        while time.time() < deadline:
            stream.next_event(timeout=deadline - time.time())
    except (EOFError, ConnectionResetError):
        return True
    return False


def test_logging_out_ends_the_feed(httpd):
    """A feed opened with a session stops when the session does: a stolen
    cookie's viewer does not keep hearing calls after the owner logs out."""
    email = new_email()
    owner = Owner(httpd)
    assert owner.signup(email).status == 201
    other = Owner(httpd)
    assert other.login(email).status == 200
    stream = EventStream(owner)
    assert stream.status == 200
    assert owner.post("/logout").status == 204
    other.post("/test-calls", {"scenario": "question"})
    assert closed_within(stream, 10)
    stream.close()


def test_a_password_change_ends_the_other_sessions_feeds(httpd):
    email = new_email()
    owner = Owner(httpd)
    assert owner.signup(email).status == 201
    intruder = Owner(httpd)
    assert intruder.login(email).status == 200
    theirs = EventStream(intruder)
    assert owner.post("/password", {"current_password": "correct horse battery",
                                    "new_password": "a brand new passphrase"}).status == 204
    assert closed_within(theirs, 10)
    theirs.close()
    assert EventStream(intruder).status == 401


def test_the_feed_of_the_session_that_changed_the_password_resumes_with_the_new_cookie(httpd, pg):
    """The password change rotates the session's token, so the feed opened
    with the old cookie ends at its next session check, as the old cookie is
    dead; the dashboard's EventSource comes back with the new cookie and
    Last-Event-ID and misses none of the call it was watching."""
    owner = signed_up(httpd)
    old = owner.cookie
    mine = EventStream(owner)
    sid = owner.post("/test-calls", {"scenario": "booking"}).json()["call_sid"]
    seen = [mine.next_event(timeout=10)]
    assert seen[0] and seen[0]["event"] == "call.started"
    assert owner.post("/password", {"current_password": "correct horse battery",
                                    "new_password": "a brand new passphrase"}).status == 204
    assert owner.cookie != old
    deadline = time.time() + 10
    try:
        while time.time() < deadline:
            ev = mine.next_event(timeout=deadline - time.time())
            if ev:
                seen.append(ev)
    except (EOFError, ConnectionResetError):
        pass
    else:
        raise AssertionError("the feed of the old cookie did not end")
    mine.close()
    stale = Owner(httpd)
    stale.cookie = old
    assert EventStream(stale).status == 401
    resumed = EventStream(owner, last_event_id=seen[-1]["id"])
    assert resumed.status == 200
    if seen[-1]["event"] != "call.ended":
        seen += collect_call(resumed, sid, timeout=60)
    resumed.close()
    ids = [int(e["id"]) for e in seen]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    lines = [e["data"] for e in seen if e["event"] == "transcript"]
    assert [(l["seq"], l["text"]) for l in lines] == [
        (seq, text[:600]) for seq, _, text in db_lines(pg, sid)]


def test_the_feed_needs_a_session(httpd):
    anon = Owner(httpd)
    stream = EventStream(anon)
    assert stream.status == 401
    stream.close()


def server_side_connections(port):
    """Connections to `port` the server still holds (ESTABLISHED or CLOSE_WAIT)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] in ("01", "08"):
                count += 1
    return count


def test_closed_viewers_free_their_threads(httpd_factory):
    web = httpd_factory()
    owner = signed_up(web)
    streams = [EventStream(owner) for _ in range(20)]
    assert server_side_connections(web.port) >= 20
    for s in streams:
        s.close()
    deadline = time.time() + 3
    while server_side_connections(web.port) > 0 and time.time() < deadline:
        time.sleep(0.1)
    assert server_side_connections(web.port) == 0
    assert owner.get("/me").status == 200


def test_only_the_session_cookie_itself_opens_the_feed(httpd):
    """A cookie whose name merely ends in cortana_session is not the session
    (the feed found the cookie with a substring search before)."""
    owner = signed_up(httpd)
    import socket
    from urllib.parse import urlsplit
    parts = urlsplit(httpd.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as s:
        s.sendall((f"GET /api/transcripts HTTP/1.1\r\nHost: x\r\n"
                   f"Cookie: xcortana_session={owner.cookie}\r\n\r\n").encode())
        status = s.recv(64).split(b" ", 2)[1]
    assert status == b"401"
