"""Several hosts on one database (CortanaPeerEvents On): an owner's live feed
on one host shows a call answered on another, through PostgreSQL
LISTEN/NOTIFY and each host's worker; a host's own events arrive once."""
import time

import stack
from owner import EventStream, Owner
from test_api import new_email
from test_sse import collect_call, db_lines


def worker_stats(web):
    return stack.worker_control(web.runtime_dir, '{"cmd":"stats"}')


def listening(web, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if worker_stats(web).get("peer_listening"):
                return web
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    raise AssertionError("the worker does not share peer events")


def test_a_call_answered_on_one_host_is_live_on_another(httpd_factory, pg):
    host_a = listening(httpd_factory("CortanaPeerEvents On"))
    host_b = listening(httpd_factory("CortanaPeerEvents On"))
    email = new_email()
    on_a = Owner(host_a)
    assert on_a.signup(email, name="Two Hosts Plumbing").status == 201
    on_b = Owner(host_b)
    assert on_b.login(email).status == 200
    watch_a, watch_b = EventStream(on_a), EventStream(on_b)
    sid = on_a.post("/test-calls", {"scenario": "booking"}).json()["call_sid"]
    seen_on_b = collect_call(watch_b, sid)
    seen_on_a = collect_call(watch_a, sid)
    watch_a.close()
    watch_b.close()
    lines = [(seq, speaker, text[:600]) for seq, speaker, text in db_lines(pg, sid)]
    for seen in (seen_on_a, seen_on_b):
        kinds = [e["event"] for e in seen]
        assert kinds[0] == "call.started" and kinds[-1] == "call.ended", kinds
        got = [(e["data"]["seq"], e["data"]["speaker"], e["data"]["text"])
               for e in seen if e["event"] == "transcript"]
        assert got == lines  # every line once, in order
    assert worker_stats(host_b)["peer_events_in"] >= len(seen_on_b)
    assert worker_stats(host_a)["peer_events_in"] == 0  # its own events are not copied back


def test_without_peer_events_each_host_shows_only_its_own_calls(httpd_factory, pg):
    host_a, host_b = httpd_factory(), httpd_factory()
    email = new_email()
    on_a = Owner(host_a)
    assert on_a.signup(email, name="Lone Host Plumbing").status == 201
    on_b = Owner(host_b)
    assert on_b.login(email).status == 200
    watch_b = EventStream(on_b)
    sid = on_a.post("/test-calls", {"scenario": "question"}).json()["call_sid"]
    deadline = time.time() + 4
    while time.time() < deadline:
        ev = watch_b.next_event(timeout=deadline - time.time())
        assert ev is None or ev["data"].get("call_sid") != sid, ev
    watch_b.close()
