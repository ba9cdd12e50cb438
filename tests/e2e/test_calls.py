"""Phone calls end to end with the built-in engine: cortana-call (and signed
raw webhooks) against a real httpd + module + worker + PostgreSQL, with a
fake Twilio REST API recording the texts Cortana sends."""
import base64
import hashlib
import hmac
import json
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

import conftest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fakes"))
from fake_twilio import FakeTwilio  # noqa: E402

ACCOUNT_SID = "AC" + "1" * 32
TOKEN = conftest.TWILIO_AUTH_TOKEN
OPEN_ALL_DAY = {d: [{"open": "00:00", "close": "24:00"}] for d in
                ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
CLOSED = {}
TECHS = {}  # business id -> technicians' phones in on-call order


_numbers_used = set()


def random_number():
    # 10,000 numbers: with a hundred businesses in a session two drew the same
    # one now and then (a unique violation in make_business); never twice.
    while True:
        number = "+1312555" + "".join(secrets.choice("0123456789") for _ in range(4))
        if number not in _numbers_used:
            _numbers_used.add(number)
            return number


def make_business(pg, hours=None, settings=None, personality=None, technicians=2, **fields):
    number = random_number()
    settings = {"ack_window_seconds": 300, **(settings or {})}
    (bid,) = pg.query(
        "INSERT INTO businesses (name, phone_number, timezone, owner_phone, hours, services, "
        "pricing, service_area, ai_personality, settings, subscription_status, plan) "
        "VALUES (%s, %s, 'America/Chicago', %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (fields.get("name", "Acme Test Plumbing"), number, fields.get("owner_phone", "+13125550100"),
         json.dumps(OPEN_ALL_DAY if hours is None else hours),
         json.dumps([{"name": "Drain cleaning", "duration_minutes": 60, "price_min": 129,
                      "price_max": 249}]),
         json.dumps({"service_call_fee": 89}),
         json.dumps({"zips": ["60614"], "cities": ["Evanston"]}),
         json.dumps(personality or {}), json.dumps(settings),
         fields.get("subscription_status", "active"), fields.get("plan", "pro")))[0]
    TECHS[str(bid)] = []
    for i in range(technicians):
        phone = random_number()
        TECHS[str(bid)].append(phone)
        pg.execute("INSERT INTO technicians (business_id, name, phone, on_call_order) "
                   "VALUES (%s, %s, %s, %s)", (bid, f"Tech {i + 1}", phone, i + 1))
    pg.execute("INSERT INTO kb_documents (business_id, title, content) VALUES (%s, %s, %s)",
               (bid, "Financing", "We offer financing on water heaters over $1,000."))
    return str(bid), number


@pytest.fixture(scope="module")
def fake_twilio():
    fake = FakeTwilio(ACCOUNT_SID, TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def stack(request, pg, fake_twilio):
    """httpd with live SMS through the fake Twilio, a 1 s worker tick."""
    instance = conftest.Httpd(pg, extra_conf=(
        f"CortanaTwilioAccountSID {ACCOUNT_SID}\n"
        f"CortanaTwilioAPIBase {fake_twilio.url}\n"
        "CortanaWorkerTick 1"))
    instance.start()
    yield instance
    instance.stop()
    if request.session.testsfailed == 0:
        instance.remove()


@pytest.fixture
def web(request, stack):
    stack.new_log_lines()
    yield stack
    conftest.check_logs(request, [stack], only_new=True)


def call(web, to, *turns, caller="+13125550142", expect_ok=True):
    argv = [str(conftest.BUILDDIR / "tools" / "cortana-call"), "--url", web.url, "--token",
            TOKEN, "--to", to, "--from", caller]
    for t in turns:
        argv += ["--say", t]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    if expect_ok:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def last_call(pg, bid):
    rows = pg.query("SELECT id, language, emergency, disposition, summary, route, transcript, "
                    "message FROM call_logs WHERE business_id = %s ORDER BY started_at DESC "
                    "LIMIT 1", (bid,))
    keys = ("id", "language", "emergency", "disposition", "summary", "route", "transcript",
            "message")
    return dict(zip(keys, rows[0]))


def sms_rows(pg, bid):
    return pg.query("SELECT to_number, status, purpose, body, attempts FROM sms_messages "
                    "WHERE business_id = %s ORDER BY created_at", (bid,))


def wait_for(predicate, timeout=10, interval=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


# ------------------------------------------------------- raw signed webhooks

def sign(url, params):
    data = url + "".join(k + v for k, v in sorted(params.items()))
    return base64.b64encode(hmac.new(TOKEN.encode(), data.encode(), hashlib.sha1).digest()).decode()


def webhook(web, path, params, signature=None):
    body = urlencode(params)
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": signature if signature is not None else
               sign(web.public_url + path, params)}
    return web.post(path, body=body, headers=headers)


def call_params(sid, to, caller="+13125550142", **extra):
    return {"AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "CallSid": sid,
            "CallStatus": "in-progress", "Direction": "inbound", "From": caller, "To": to, **extra}


def new_sid():
    return "CA" + secrets.token_hex(16)


# ------------------------------------------------------------------ booking

def test_booking_in_english_gets_the_soonest_slot(pg, web):
    bid, number = make_business(pg)
    out = call(web, number, "Hi, my kitchen drain is clogged, can someone come out?",
               "My name is Maria Lopez", "1420 Oak Street", "as soon as possible", "yes",
               "no thanks")
    assert "You're booked, Maria Lopez" in out
    c = last_call(pg, bid)
    assert c["disposition"] == "booked" and c["language"] == "en"
    (start, name, address, gap) = pg.query(
        "SELECT starts_at, customer_name, customer_address, "
        "extract(epoch FROM starts_at - now()) / 60 FROM appointments WHERE business_id = %s",
        (bid,))[0]
    assert name == "Maria Lopez" and address == "1420 Oak Street"
    # Open all day, 60 min lead, slots on the half hour: the soonest is within 60-90 min,
    # late in the evening too (a slot runs across midnight when the next day is open).
    assert 59 <= gap <= 91
    assert start.minute in (0, 30)
    (linked, sentiment) = pg.query("SELECT booked_appointment_id IS NOT NULL, sentiment "
                                   "FROM call_logs WHERE id = %s", (c["id"],))[0]
    assert linked
    assert sentiment == "positive"  # "no thanks" is polite, not negative


def test_booking_in_spanish(pg, web):
    bid, number = make_business(pg)
    out = call(web, number, "Hola, quiero una cita, el fregadero está tapado", "Me llamo Ana Ruiz",
               "Vivo en 300 calle Clark", "lo antes posible", "sí", "no, gracias")
    assert "Cortana [es-US]" in out and "quedó agendado" in out
    c = last_call(pg, bid)
    assert c["language"] == "es" and c["disposition"] == "booked"


def test_declining_the_first_slot_books_the_next(pg, web):
    bid, number = make_business(pg)
    out = call(web, number, "I need to book a repair for a leaky faucet", "Sam Reed",
               "77 Elm Street", "as soon as possible", "no", "yes", "no")
    assert "The next opening I have is" in out
    (gap,) = pg.query("SELECT extract(epoch FROM starts_at - now()) / 60 FROM appointments "
                      "WHERE business_id = %s", (bid,))[0]
    # The soonest slot is 60-90 min away and the next one 30 min later.
    assert 89 <= gap <= 121


def test_two_calls_racing_for_one_slot_never_double_book(pg, web):
    bid, number = make_business(pg)
    a, b = new_sid(), new_sid()
    script = ["I need a plumber to fix a leak", "Racer", "10 Main Street", "as soon as possible"]
    for sid in (a, b):
        assert webhook(web, "/twilio/voice", call_params(sid, number)).status == 200
        for words in script:
            resp = webhook(web, "/twilio/gather", call_params(sid, number, SpeechResult=words))
            assert resp.status == 200, resp.text
    # Both were offered the same soonest slot; A takes it first.
    assert "booked" in webhook(web, "/twilio/gather",
                               call_params(a, number, SpeechResult="yes")).text
    taken = webhook(web, "/twilio/gather", call_params(b, number, SpeechResult="yes")).text
    assert "just taken" in taken and "The next opening" in taken
    assert "booked" in webhook(web, "/twilio/gather",
                               call_params(b, number, SpeechResult="yes")).text
    starts = pg.query("SELECT starts_at FROM appointments WHERE business_id = %s "
                      "ORDER BY starts_at", (bid,))
    assert len(starts) == 2 and starts[0][0] != starts[1][0]


def test_concurrent_simulated_calls_all_complete(pg, web):
    bid, number = make_business(pg, settings={"overflow_limit": 10})
    results = []

    def one(i):
        results.append(call(web, number, "what are your hours", "no", caller=f"+1312555070{i}"))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(5)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(results) == 5
    assert pg.query("SELECT count(*) FROM call_logs WHERE business_id = %s AND disposition = "
                    "'question_answered'", (bid,))[0][0] == 5


# -------------------------------------------------------------- emergencies

def test_spanish_flooded_basement_at_night_dispatches_and_escalates(pg, web, fake_twilio):
    bid, number = make_business(pg, hours=CLOSED, settings={"ack_window_seconds": 2})
    out = call(web, number, "Hola, se está inundando mi sótano", "Vivo en 2200 calle Milwaukee",
               "Me llamo José Ramírez", "<hangup>")
    assert "técnico de guardia" in out
    c = last_call(pg, bid)
    assert c["language"] == "es" and c["emergency"] is True
    assert c["disposition"] == "emergency_dispatched" and c["route"] == "after_hours"
    # The first on-call technician is texted at once (through Twilio)...
    tech1, tech2 = TECHS[bid]
    first = wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == tech1])
    assert first and "EMERGENCY (flooding)" in first[0]["body"]
    # ...and with no YES within the window, the next one.
    second = wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == tech2])
    assert second, "no escalation to the second technician"
    rows = sms_rows(pg, bid)
    assert [r[0] for r in rows if r[2] == "dispatch"][:2] == [tech1, tech2]
    assert all(r[1] == "sent" for r in rows if r[2] == "dispatch")


def test_a_text_refused_for_good_escalates_without_waiting_the_window(pg, web, fake_twilio):
    # Twilio refuses the first technician's number (400: no retry can fix
    # it). Nobody was reached, so the next one is texted at the next tick,
    # not after the 5-minute acknowledgement window.
    bid, number = make_business(pg, hours=CLOSED)
    tech1, tech2 = TECHS[bid]
    fake_twilio.refuse(tech1)
    call(web, number, "I smell gas in the kitchen", "<hangup>")
    assert wait_for(lambda: [r for r in sms_rows(pg, bid) if r[0] == tech1 and r[1] == "failed"])
    second = wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == tech2], timeout=8)
    assert second and "EMERGENCY" in second[0]["body"]
    assert pg.query("SELECT status, step FROM dispatches WHERE business_id = %s",
                    (bid,)) == [("notified", 2)]


def test_a_text_refused_for_good_is_escalated_in_the_same_tick(pg, httpd_factory, fake_twilio):
    # With a 6 s tick: the worker sends the due texts, escalates what a refused
    # text made due, and sends the next technician's text, all in one tick.
    # (Escalating before sending left the next text for the tick after: 6 s.)
    web = httpd_factory(f"CortanaTwilioAccountSID {ACCOUNT_SID}\n"
                        f"CortanaTwilioAPIBase {fake_twilio.url}\nCortanaWorkerTick 6")
    bid, number = make_business(pg, hours=CLOSED)
    tech1, tech2 = TECHS[bid]
    fake_twilio.refuse(tech1)
    call(web, number, "I smell gas in the kitchen", "<hangup>")
    second = wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == tech2], timeout=20)
    assert second
    refused_at = [r["at"] for r in fake_twilio.refusals if r["to"] == tech1]
    assert len(refused_at) == 1
    assert fake_twilio.received_at[second[0]["sid"]] - refused_at[0] < 3


def test_a_test_call_never_texts_a_real_technician(pg, web, fake_twilio):
    """The owner's test call (POST /api/test-calls) goes through dispatch and
    escalation like any emergency, but its texts stay simulated."""
    from owner import Owner
    owner = Owner(web)
    assert owner.signup(f"tester-{new_sid()}@example.com").status == 201
    bid = owner.me["business"]["id"]
    owner.patch("/business", {"settings": {"ack_window_seconds": 30}})
    tech = random_number()
    assert owner.post("/technicians", {"name": "Real Phone", "phone": tech}).status == 201
    sid = owner.post("/test-calls", {"scenario": "emergency"}).json()["call_sid"]
    assert wait_for(lambda: pg.query("SELECT count(*) FROM sms_messages s JOIN call_logs c ON "
                                     "c.id = s.call_log_id WHERE c.call_sid = %s AND "
                                     "s.purpose = 'dispatch'", (sid,))[0][0] >= 1, timeout=20)
    time.sleep(1.5)  # a worker tick: a queued text would have gone out by now
    rows = pg.query("SELECT status FROM sms_messages WHERE business_id = %s", (bid,))
    assert rows and all(status == "simulated" for (status,) in rows), rows
    assert not [m for m in fake_twilio.sent() if m["to"] == tech]


def test_technician_yes_acknowledges_and_stops_escalation(pg, web, fake_twilio):
    bid, number = make_business(pg, settings={"ack_window_seconds": 3})
    call(web, number, "I smell gas in the kitchen", "<hangup>", caller="+13125550177")
    tech1, tech2 = TECHS[bid]
    resp = webhook(web, "/twilio/sms", {"AccountSid": ACCOUNT_SID, "MessageSid": "SM" + "2" * 32,
                                        "From": tech1, "To": number, "Body": "YES omw"})
    assert resp.status == 200
    (status, ack) = pg.query("SELECT status, ack_at IS NOT NULL FROM dispatches "
                             "WHERE business_id = %s", (bid,))[0]
    assert status == "acknowledged" and ack
    assert wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == "+13125550177"
                             and "on the way" in m["body"]])
    time.sleep(4)
    assert not [m for m in fake_twilio.sent() if m["to"] == tech2]
    (tech,) = pg.query("SELECT assigned_tech_id IS NOT NULL FROM call_logs WHERE business_id = %s",
                       (bid,))[0]
    assert tech


def test_technician_si_in_capitals_acknowledges(pg, web):
    # Phones capitalise a reply typed in caps lock: "SÍ" is as good as "sí".
    bid, number = make_business(pg)
    call(web, number, "se está inundando el sótano", "<hangup>")
    tech1, _ = TECHS[bid]
    assert webhook(web, "/twilio/sms", {"AccountSid": ACCOUNT_SID, "MessageSid": "SM" + "6" * 32,
                                        "From": tech1, "To": number, "Body": "SÍ"}).status == 200
    (status,) = pg.query("SELECT status FROM dispatches WHERE business_id = %s", (bid,))[0]
    assert status == "acknowledged"


def test_spanish_caller_gets_the_eta_text_in_spanish(pg, web, fake_twilio):
    bid, number = make_business(pg)
    call(web, number, "Hola, huele a gas en la cocina", "<hangup>", caller="+13125550178")
    assert last_call(pg, bid)["language"] == "es"
    tech1, _ = TECHS[bid]
    webhook(web, "/twilio/sms", {"AccountSid": ACCOUNT_SID, "MessageSid": "SM" + "7" * 32,
                                 "From": tech1, "To": number, "Body": "sí"})
    eta = wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == "+13125550178"])
    assert eta and "en camino" in eta[0]["body"] and "on the way" not in eta[0]["body"]


def test_technician_reply_is_read_whole_and_an_unclear_one_is_asked_again(pg, web, fake_twilio):
    # "No problem, on my way" takes the job: its first word is not the answer.
    bid, number = make_business(pg)
    call(web, number, "I smell gas in the kitchen", "<hangup>")
    tech1, tech2 = TECHS[bid]
    webhook(web, "/twilio/sms", {"AccountSid": ACCOUNT_SID, "MessageSid": "SM" + "8" * 32,
                                 "From": tech1, "To": number, "Body": "No problem, on my way"})
    assert pg.query("SELECT status, step FROM dispatches WHERE business_id = %s",
                    (bid,)) == [("acknowledged", 1)]
    # A reply that is neither is not guessed at: the technician is asked.
    bid, number = make_business(pg)
    call(web, number, "se está inundando el sótano", "<hangup>")
    tech1, tech2 = TECHS[bid]
    webhook(web, "/twilio/sms", {"AccountSid": ACCOUNT_SID, "MessageSid": "SM" + "9" * 32,
                                 "From": tech1, "To": number, "Body": "who is this?"})
    assert pg.query("SELECT status, step FROM dispatches WHERE business_id = %s",
                    (bid,)) == [("notified", 1)]
    asked = wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == tech1
                              and "reply YES" in m["body"]])
    assert asked and "EMERGENCY" not in asked[0]["body"]


def test_technicians_are_texted_in_the_business_first_language(pg, web, fake_twilio):
    # A Spanish-first business: its technicians and owner get the dispatch,
    # the escalation and the YES/NO follow-up in Spanish, even when the
    # caller spoke English (the caller's language is not the technician's).
    bid, number = make_business(pg, technicians=1, owner_phone="+13125550114",
                                settings={"ack_window_seconds": 2},
                                personality={"languages": ["es", "en"]})
    call(web, number, "Hi, I smell gas in the kitchen", "<hangup>")
    (tech1,) = TECHS[bid]
    first = wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == tech1])
    assert first and first[0]["body"].startswith("EMERGENCIA (fuga de gas)"), first
    assert "Responda SÍ" in first[0]["body"] and "Reply YES" not in first[0]["body"]
    webhook(web, "/twilio/sms", {"AccountSid": ACCOUNT_SID, "MessageSid": "SM" + "b" * 32,
                                 "From": tech1, "To": number, "Body": "quién es?"})
    asked = wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == tech1
                              and "EMERGENCIA" not in m["body"]])
    assert asked and "responda SÍ" in asked[0]["body"], asked
    # No answer within the window: the owner, last in line, in Spanish too.
    owner = wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == "+13125550114"
                              and "EMERGENCIA" in m["body"]])
    assert owner and "último de la lista" in owner[0]["body"], owner
    # A business that speaks English first keeps English texts for a Spanish caller.
    bid, number = make_business(pg, technicians=1)
    call(web, number, "Hola, se está inundando mi sótano", "<hangup>")
    (tech1,) = TECHS[bid]
    first = wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == tech1])
    assert first and first[0]["body"].startswith("EMERGENCY (flooding)")
    # Categories are said as words, not identifiers.
    bid, number = make_business(pg, technicians=1)
    call(web, number, "I smell gas in the kitchen", "<hangup>")
    (tech1,) = TECHS[bid]
    first = wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == tech1])
    assert first and first[0]["body"].startswith("EMERGENCY (gas leak)"), first


def test_the_owner_is_texted_in_the_business_first_language(pg, web, fake_twilio):
    # A Spanish-first business's owner reads its notices (a message, a
    # voicemail, an emergency call) in Spanish, as its technicians do; an
    # English-first business's owner keeps English for a Spanish caller.
    bid, number = make_business(pg, technicians=1, owner_phone="+13125550115",
                                personality={"languages": ["es", "en"]})
    call(web, number, "Quiero dejar un mensaje", "Rosa Díaz", "llámeme por la factura", "no")
    notice = wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == "+13125550115"
                               and "factura" in m["body"]])
    assert notice and "mensaje de Rosa" in notice[0]["body"], notice
    assert "message from" not in notice[0]["body"] and "caller" not in notice[0]["body"]
    call(web, number, "<silence>", "<silence>", "<silence>", "record: llámenme por favor")
    notice = wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == "+13125550115"
                               and "llámenme" in m["body"]])
    assert notice and "buzón de voz" in notice[0]["body"], notice
    call(web, number, "I smell gas in the kitchen", "<hangup>")
    notice = wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == "+13125550115"
                               and "Cortana:" in m["body"] and "emergencia" in m["body"]])
    assert notice and "emergency" not in notice[0]["body"], notice
    bid, number = make_business(pg, technicians=1, owner_phone="+13125550116")
    call(web, number, "Quiero dejar un mensaje", "Rosa Díaz", "llámeme por la factura", "no")
    notice = wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == "+13125550116"
                               and "factura" in m["body"]])
    assert notice and "message from Rosa" in notice[0]["body"], notice


def test_owner_acknowledging_is_named_naturally_in_the_eta_text(pg, web, fake_twilio):
    # No technician: the owner is texted and answers; the caller reads
    # "we're on the way", not "the owner is on the way".
    bid, number = make_business(pg, technicians=0, owner_phone="+13125550113")
    call(web, number, "I smell gas in the kitchen", "<hangup>", caller="+13125550179")
    webhook(web, "/twilio/sms", {"AccountSid": ACCOUNT_SID, "MessageSid": "SM" + "a" * 32,
                                 "From": "+13125550113", "To": number, "Body": "yes"})
    eta = wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == "+13125550179"])
    assert eta and "we're on the way" in eta[0]["body"] and "the owner" not in eta[0]["body"]
    bid, number = make_business(pg, technicians=0, owner_phone="+13125550114")
    call(web, number, "Hola, huele a gas en la cocina", "<hangup>", caller="+13125550180")
    webhook(web, "/twilio/sms", {"AccountSid": ACCOUNT_SID, "MessageSid": "SM" + "b" * 32,
                                 "From": "+13125550114", "To": number, "Body": "sí"})
    eta = wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == "+13125550180"])
    assert eta and "vamos en camino" in eta[0]["body"] and "the owner" not in eta[0]["body"]


def test_technician_no_passes_to_the_next_at_once(pg, web):
    bid, number = make_business(pg)
    call(web, number, "there's sewage coming up from the basement drain", "<hangup>")
    tech1, tech2 = TECHS[bid]
    webhook(web, "/twilio/sms", {"AccountSid": ACCOUNT_SID, "MessageSid": "SM" + "3" * 32,
                                 "From": tech1, "To": number, "Body": "no, busy"})
    (step, phone) = pg.query("SELECT step, notified_phone FROM dispatches WHERE business_id = %s",
                             (bid,))[0]
    assert step == 2 and phone == tech2


@pytest.mark.allow_log_errors  # "emergency with no technician and no owner phone to text"
def test_emergency_nobody_can_be_alerted_is_said_and_logged_honestly(pg, web):
    # No technician and no owner phone: nobody is texted, so the caller must
    # not hear that a technician is being alerted, and the owner filtering
    # the call log must find a caller waiting for a call back.
    bid, number = make_business(pg, technicians=0, owner_phone=None)
    out = call(web, number, "I smell gas in the kitchen", "1420 Oak Street", "Maria Lopez",
               "<hangup>")
    assert "alerting our on-call technician" not in out
    assert "couldn't reach anyone" in out and "911" in out
    c = last_call(pg, bid)
    assert c["emergency"] is True and c["disposition"] == "message_taken"
    assert "nobody on call could be alerted" in c["summary"]
    assert pg.query("SELECT status FROM dispatches WHERE business_id = %s", (bid,)) == \
        [("exhausted",)]
    # In Spanish too.
    bid, number = make_business(pg, technicians=0, owner_phone=None)
    out = call(web, number, "Hola, se está inundando mi sótano", "<hangup>")
    assert "técnico de guardia." not in out and "llame al 911" in out
    assert last_call(pg, bid)["disposition"] == "message_taken"


@pytest.mark.allow_log_errors  # "emergency with no technician and no owner phone to text"
def test_a_second_dispatch_of_an_emergency_nobody_was_alerted_to_is_not_a_success(pg, web):
    # The dispatcher keeps one dispatch per call and hands the existing one to
    # a second try: here the voicemail's referee, after the dialog's dispatch
    # found nobody to text. That dispatch alerted nobody, so the call must not
    # end as dispatched.
    bid, number = make_business(pg, technicians=0, owner_phone=None)
    out = call(web, number, "I smell gas in the kitchen", "<silence>", "<silence>",
               "<silence>", "record: there is gas smell in the basement please hurry")
    assert "couldn't reach anyone" in out
    c = last_call(pg, bid)
    assert c["emergency"] is True and c["disposition"] == "message_taken", c
    assert "(emergency_dispatched)" not in c["summary"]
    assert pg.query("SELECT status, notified_at FROM dispatches WHERE business_id = %s",
                    (bid,)) == [("exhausted", None)]


@pytest.mark.allow_log_errors  # "updating the dispatch": the refusal injected below
def test_a_dispatch_cut_short_by_the_database_is_not_left_pending(pg, web, fake_twilio):
    # The database refuses the dispatch's first text once, after the dispatch
    # row was created (a dropped connection, a failover). That half-made
    # dispatch must not stay 'pending' with nobody texted and no due time —
    # the escalation tick never picks it up, and a later try (here the
    # voicemail's referee) must text the technician, not find it and give up.
    bid, number = make_business(pg)
    tag = bid.replace("-", "_")
    pg.execute(f"CREATE SEQUENCE fail_{tag}")
    pg.execute(f"""CREATE FUNCTION fail_{tag}() RETURNS trigger LANGUAGE plpgsql
                   SECURITY DEFINER SET search_path = pg_catalog, public AS $$
                   BEGIN
                     IF NEW.business_id = '{bid}' AND nextval('fail_{tag}') = 1 THEN
                       RAISE EXCEPTION 'injected: the database went away';
                     END IF;
                     RETURN NEW;
                   END $$""")
    pg.execute(f"CREATE TRIGGER fail_{tag} BEFORE UPDATE ON dispatches FOR EACH ROW "
               f"EXECUTE FUNCTION fail_{tag}()")
    try:
        out = call(web, number, "I smell gas in the kitchen", "<silence>", "<silence>",
                   "<silence>", "record: there is a gas smell in the basement please hurry")
    finally:
        pg.execute(f"DROP TRIGGER fail_{tag} ON dispatches")
        pg.execute(f"DROP FUNCTION fail_{tag}()")
        pg.execute(f"DROP SEQUENCE fail_{tag}")
    assert "couldn't reach anyone" in out
    assert pg.query("SELECT count(*) FROM dispatches WHERE business_id = %s AND status = "
                    "'pending'", (bid,))[0][0] == 0
    (status, due) = pg.query("SELECT status, due_at IS NOT NULL FROM dispatches "
                             "WHERE business_id = %s", (bid,))[0]
    assert status == "notified" and due
    tech1, _ = TECHS[bid]
    assert [r for r in sms_rows(pg, bid) if r[2] == "dispatch" and r[0] == tech1]
    assert last_call(pg, bid)["disposition"] == "emergency_dispatched"


def test_negated_emergency_does_not_dispatch(pg, web):
    bid, number = make_business(pg)
    call(web, number, "no, nothing is leaking, I just have a question about financing", "no")
    assert pg.query("SELECT count(*) FROM dispatches WHERE business_id = %s", (bid,))[0][0] == 0
    assert last_call(pg, bid)["emergency"] is False


def test_emergency_in_a_voicemail_dispatches_too(pg, web):
    bid, number = make_business(pg, settings={"overflow_limit": 1})
    sid = new_sid()
    # Another call in progress fills the line: this one goes to voicemail.
    webhook(web, "/twilio/voice", call_params(new_sid(), number))
    twiml = webhook(web, "/twilio/voice", call_params(sid, number)).text
    assert "<Record" in twiml
    rec = {"RecordingSid": "RE" + "4" * 32, "RecordingUrl": "https://api.twilio.com/rec/1",
           "RecordingDuration": "9"}
    assert webhook(web, "/twilio/voicemail", call_params(sid, number, **rec)).status == 200
    assert webhook(web, "/twilio/transcription", call_params(
        sid, number, TranscriptionText="my water heater burst and the basement is flooding",
        **rec)).status == 204
    (disp, em) = pg.query("SELECT disposition, emergency FROM call_logs WHERE call_sid = %s",
                          (sid,))[0]
    assert disp == "emergency_dispatched" and em is True


def test_voicemail_without_a_transcription_still_texts_the_owner(pg, web, fake_twilio):
    # Twilio transcribes US English only: a Spanish message comes back failed,
    # with no text. The owner must still hear of the voicemail.
    bid, number = make_business(pg, settings={"overflow_limit": 1},
                                owner_phone="+13125550111")
    sid = new_sid()
    webhook(web, "/twilio/voice", call_params(new_sid(), number))
    assert "<Record" in webhook(web, "/twilio/voice", call_params(sid, number)).text
    rec = {"RecordingSid": "RE" + secrets.token_hex(16),
           "RecordingUrl": "https://api.twilio.com/rec/5", "RecordingDuration": "12"}
    assert webhook(web, "/twilio/voicemail", call_params(sid, number, **rec)).status == 200
    assert webhook(web, "/twilio/transcription", call_params(
        sid, number, TranscriptionStatus="failed", TranscriptionSid="TR" + "8" * 32,
        **rec)).status == 204
    (call_id,) = pg.query("SELECT id FROM call_logs WHERE call_sid = %s", (sid,))[0]
    notice = wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == "+13125550111"])
    assert notice and "voicemail" in notice[0]["body"] and str(call_id) in notice[0]["body"]


def test_emergency_voicemail_transcribed_after_the_call_ended_texts_the_owner(pg, web,
                                                                               fake_twilio):
    # Twilio's order: the recording, then the call's status, then (later) the
    # transcription. The owner's emergency notice must not depend on it.
    bid, number = make_business(pg, settings={"overflow_limit": 1},
                                owner_phone="+13125550112")
    sid = new_sid()
    webhook(web, "/twilio/voice", call_params(new_sid(), number))
    assert "<Record" in webhook(web, "/twilio/voice", call_params(sid, number)).text
    rec = {"RecordingSid": "RE" + secrets.token_hex(16),
           "RecordingUrl": "https://api.twilio.com/rec/6", "RecordingDuration": "15"}
    assert webhook(web, "/twilio/voicemail", call_params(sid, number, **rec)).status == 200
    assert webhook(web, "/twilio/status", call_params(
        sid, number, CallStatus="completed", CallDuration="40")).status == 204
    assert webhook(web, "/twilio/transcription", call_params(
        sid, number, TranscriptionStatus="completed",
        TranscriptionText="there is gas smell in the basement please hurry", **rec)).status == 204
    (disposition, summary) = pg.query("SELECT disposition, summary FROM call_logs "
                                      "WHERE call_sid = %s", (sid,))[0]
    assert disposition == "emergency_dispatched"
    # The message was only in the transcription: the summary has it too.
    assert "gas smell in the basement please hurry" in summary
    notice = wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == "+13125550112"])
    assert notice and "emergency" in notice[0]["body"]


def test_an_emergency_voicemail_summary_names_the_final_disposition(pg, web):
    # In Twilio's order the status callback writes the summary of a call
    # that took a message; the transcription then finds an emergency and
    # dispatches. The summary's first sentence must name the disposition the
    # call log keeps, not the one the status callback saw.
    bid, number = make_business(pg)
    call(web, number, "<silence>", "<silence>", "<silence>",
         "record: there is gas smell in the basement please hurry")
    c = last_call(pg, bid)
    assert c["disposition"] == "emergency_dispatched" and c["emergency"] is True
    assert c["summary"].startswith("en call (emergency_dispatched)."), c["summary"]
    assert "(message_taken)" not in c["summary"]
    assert "Voicemail: there is gas smell in the basement" in c["summary"]


def test_a_call_log_opened_by_a_late_recording_is_closed(pg, web):
    # The database came back between the call's status callback (no call
    # log then: 204) and Twilio's retry of the recording: the call log the
    # recording opens must not stay in-progress, counting as a live call.
    bid, number = make_business(pg, settings={"overflow_limit": 1})
    sid = new_sid()
    assert webhook(web, "/twilio/status", call_params(
        sid, number, CallStatus="completed", CallDuration="30")).status == 204
    rec = {"RecordingSid": "RE" + secrets.token_hex(16),
           "RecordingUrl": "https://api.twilio.com/rec/7", "RecordingDuration": "11"}
    assert webhook(web, "/twilio/voicemail", call_params(sid, number, **rec)).status == 200
    (status, ended, disposition) = pg.query(
        "SELECT status, ended_at IS NOT NULL, disposition FROM call_logs WHERE call_sid = %s",
        (sid,))[0]
    assert status == "completed" and ended and disposition == "message_taken"
    # The next caller is answered, not sent to voicemail as if the line were taken.
    assert "<Record" not in webhook(web, "/twilio/voice", call_params(new_sid(), number)).text


def test_a_call_log_opened_by_a_late_recording_is_in_the_business_language(pg, web):
    # A Spanish-first business's call log opened by a late recording is
    # 'es', as its calls are, and the caller still on the line hears Spanish.
    bid, number = make_business(pg, personality={"languages": ["es", "en"]})
    sid = new_sid()
    rec = {"RecordingSid": "RE" + secrets.token_hex(16),
           "RecordingUrl": "https://api.twilio.com/rec/8", "RecordingDuration": "9"}
    resp = webhook(web, "/twilio/voicemail", call_params(sid, number, **rec))
    assert resp.status == 200 and 'language="es' in resp.text, resp.text
    assert pg.query("SELECT language FROM call_logs WHERE call_sid = %s", (sid,)) == [("es",)]


# ---------------------------------------------------------------- questions

def test_price_question_quotes_ranges(pg, web):
    bid, number = make_business(pg)
    out = call(web, number, "how much is drain cleaning", "no")
    assert "between $129 and $249" in out
    assert last_call(pg, bid)["disposition"] == "question_answered"


def test_price_question_respects_never_quote_prices(pg, web):
    bid, number = make_business(pg, personality={"price_policy": "never"})
    out = call(web, number, "how much is drain cleaning", "no")
    assert "$" not in out and "exact quote" in out


def test_hours_in_english_and_spanish(pg, web):
    bid, number = make_business(pg, hours={"monday": [{"open": "08:00", "close": "17:00"}],
                                           "tuesday": [{"open": "08:00", "close": "17:00"}]})
    assert "Monday to Tuesday, 8 AM to 5 PM" in call(web, number, "what are your hours", "no")
    out = call(web, number, "¿Cuál es su horario? ¿A qué hora abren?", "no, gracias")
    assert "de lunes a martes, de 8 de la mañana a 5 de la tarde" in out


def test_hours_said_follow_a_change_of_hours(pg, web):
    # Each httpd thread keeps the sentence it last made from a business's
    # hours: new hours must be said on the next call, whichever thread takes it.
    bid, number = make_business(pg, hours={"monday": [{"open": "08:00", "close": "17:00"}]})
    for _ in range(6):
        assert "Monday, 8 AM to 5 PM" in call(web, number, "what are your hours", "no")
    pg.execute("UPDATE businesses SET hours = %s WHERE id = %s",
               (json.dumps({"friday": [{"open": "10:00", "close": "14:00"}]}), bid))
    for _ in range(6):
        out = call(web, number, "what are your hours", "no")
        assert "Friday, 10 AM to 2 PM" in out and "Monday" not in out
    for _ in range(3):
        out = call(web, number, "¿Cuál es su horario?", "no, gracias")
        assert "viernes, de 10 de la mañana a 2 de la tarde" in out


def test_more_turns_than_database_connections_all_wait_their_turn(pg, fake_twilio,
                                                                    httpd_factory):
    # One connection per child: concurrent turns line up for it (first come,
    # first served) and every one is answered, none refused.
    instance = httpd_factory(
        f"CortanaTwilioAccountSID {ACCOUNT_SID}\nCortanaTwilioAPIBase {fake_twilio.url}\n"
        "CortanaDatabasePoolMax 1\nStartServers 1\nServerLimit 1\nThreadsPerChild 16\n"
        "MaxRequestWorkers 16")
    bid, number = make_business(pg)
    sids = [new_sid() for _ in range(12)]
    for sid in sids:
        assert webhook(instance, "/twilio/voice", call_params(sid, number)).status == 200
    statuses = []

    def turn(sid):
        params = call_params(sid, number, SpeechResult="what are your hours", Confidence="0.9")
        statuses.append(webhook(instance, "/twilio/gather", params).status)

    threads = [threading.Thread(target=turn, args=(sid,)) for sid in sids * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * len(threads)
    (lines,) = pg.query("SELECT count(*) FROM transcript_lines l JOIN call_logs c "
                        "ON c.id = l.call_log_id WHERE c.business_id = %s "
                        "AND l.speaker = 'caller'", (bid,))[0]
    assert lines == len(threads)


def test_concurrent_turns_of_one_call_keep_every_line(pg, web):
    # Twilio sends one turn at a time, but a webhook retried while its first
    # attempt still runs overlaps it. Both turns' lines must be stored, with
    # distinct numbers (numbering from max(seq) lost one turn to a unique
    # violation, with its dialog state).
    bid, number = make_business(pg)
    sid = new_sid()
    assert webhook(web, "/twilio/voice", call_params(sid, number)).status == 200
    turns, statuses = 8, []

    def turn(i):
        params = call_params(sid, number, SpeechResult=f"what are your hours {i}",
                             Confidence="0.9")
        statuses.append(webhook(web, "/twilio/gather", params).status)

    for _ in range(3):
        threads = [threading.Thread(target=turn, args=(i,)) for i in range(turns)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert statuses == [200] * (3 * turns)
    rows = pg.query("SELECT l.speaker, l.seq, c.transcript_seq FROM transcript_lines l "
                    "JOIN call_logs c ON c.id = l.call_log_id WHERE c.call_sid = %s "
                    "ORDER BY l.seq", (sid,))
    assert sum(1 for r in rows if r[0] == "caller") == 3 * turns
    assert [r[1] for r in rows] == list(range(1, len(rows) + 1))
    assert rows[-1][2] == len(rows)


def test_hours_split_days_overnight_and_free_form(pg, web):
    # Read from the loaded settings in C: intervals sorted by opening time,
    # "24:00" closes at midnight, Saturday runs into Sunday.
    split = [{"open": "13:00", "close": "17:30"}, {"open": "8:00", "close": "12:00"}]
    late = [{"open": "09:00:00", "close": "24:00"}]
    bid, number = make_business(pg, hours={"monday": split, "tuesday": split,
                                           "saturday": late, "sunday": late})
    out = call(web, number, "what are your hours", "no")
    assert ("Monday, 8 AM to noon;Monday, 1 PM to 5:30 PM;Tuesday, 8 AM to noon;"
            "Tuesday, 1 PM to 5:30 PM;Saturday to Sunday, 9 AM to midnight") in out
    # Open around the clock: said so, not "12 AM to 12 AM"
    always = [{"open": "00:00", "close": "24:00"}]
    bid, number = make_business(pg, hours={d: always for d in (
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")})
    out = call(web, number, "what are your hours", "no")
    assert "every day, open 24 hours" in out and "12 AM" not in out
    # A form only PostgreSQL's time input reads is left to it.
    bid, number = make_business(pg, hours={"wednesday": [{"open": "8:00 AM", "close": "5:00 PM"}]})
    assert "Wednesday, 8 AM to 5 PM" in call(web, number, "what are your hours", "no")


def test_the_small_hours_are_said_as_people_say_them_in_spanish(pg, web):
    # 1 to 5 AM is "de la madrugada" ("las 3 de la mañana" is not how it is
    # said); 12:30 AM is "12:30 de la noche", not "de la mañana".
    small_hours = [{"open": "00:30", "close": "01:00"}, {"open": "02:00", "close": "05:30"}]
    bid, number = make_business(pg, hours={"monday": small_hours})
    out = call(web, number, "what are your hours", "no")
    assert "Monday, 12:30 AM to 1 AM;Monday, 2 AM to 5:30 AM" in out, out
    out = call(web, number, "Hola, ¿cuál es su horario?", "no, gracias")
    assert "de 12:30 de la noche a 1 de la madrugada" in out, out
    assert "de 2 de la madrugada a 5:30 de la madrugada" in out, out


def test_midnight_and_noon_are_said_as_such(pg, web):
    # "12 de la mañana" is no way to say midnight, nor "12 de la tarde" noon.
    night_and_noon = [{"open": "00:00", "close": "06:00"}, {"open": "12:00", "close": "17:00"}]
    bid, number = make_business(pg, hours={"monday": night_and_noon})
    out = call(web, number, "what are your hours", "no")
    assert "Monday, midnight to 6 AM;Monday, noon to 5 PM" in out, out
    out = call(web, number, "Hola, ¿cuál es su horario?", "no, gracias")
    assert "de medianoche a 6 de la mañana" in out and "de mediodía a 5 de la tarde" in out, out
    # A slot at noon or at midnight.
    for hours, en, es in (([{"open": "12:00", "close": "13:00"}], "at noon", "al mediodía"),
                          ([{"open": "00:00", "close": "01:00"}], "at midnight", "a medianoche")):
        bid, number = make_business(pg, hours={d: hours for d in OPEN_ALL_DAY})
        out = call(web, number, "Hi, my kitchen drain is clogged, can someone come out?",
                   "My name is Maria Lopez", "1420 Oak Street", "as soon as possible", "no",
                   "no")
        assert f"The soonest opening I have is " in out and en in out and "12 " not in out, out
        out = call(web, number, "Hola, quiero una cita, el fregadero está tapado",
                   "Me llamo Ana Ruiz", "Vivo en 300 calle Clark", "lo antes posible", "no",
                   "no")
        assert es in out and "las 12" not in out, out


def test_service_area_yes_and_no(pg, web):
    bid, number = make_business(pg)
    assert "Yes, we serve that area" in call(web, number, "do you service Evanston", "no")
    assert "outside our service area" in call(web, number, "do you come to 90210?", "no")


def test_knowledge_base_answer_and_honest_miss(pg, web):
    bid, number = make_business(pg)
    assert "We offer financing on water heaters" in call(web, number, "do you offer financing",
                                                         "no")
    out = call(web, number, "do you sell gift cards", "<hangup>")
    assert "I don't have that information" in out


# ------------------------------------------------- messages, people, spam

def test_leave_a_message_texts_the_owner(pg, web, fake_twilio):
    bid, number = make_business(pg)
    call(web, number, "I want to leave a message", "Bob Stone",
         "please call me about last week's invoice", "no")
    c = last_call(pg, bid)
    assert c["disposition"] == "message_taken" and "invoice" in c["message"]
    assert wait_for(lambda: [m for m in fake_twilio.sent()
                             if m["to"] == "+13125550100" and "invoice" in m["body"]])


def test_speak_to_a_person_transfers_to_the_owner(pg, web):
    bid, number = make_business(pg)
    out = call(web, number, "can I talk to a real person")
    assert "-- transferred to +13125550100" in out
    assert last_call(pg, bid)["disposition"] == "transferred"


def test_transfer_nobody_answers_takes_a_message(pg, web):
    # The owner is on a job and does not pick up: the caller is not dropped
    # but leaves a message, and the call is logged as one, not "transferred".
    bid, number = make_business(pg)
    sid = new_sid()
    webhook(web, "/twilio/voice", call_params(sid, number))
    twiml = webhook(web, "/twilio/gather", call_params(
        sid, number, SpeechResult="can I talk to a real person")).text
    assert "<Dial" in twiml and "/twilio/dial-status" in twiml
    resp = webhook(web, "/twilio/dial-status", call_params(
        sid, number, DialCallStatus="no-answer", DialCallSid=new_sid()))
    assert resp.status == 200 and "<Record" in resp.text and "/twilio/voicemail" in resp.text
    rec = {"RecordingSid": "RE" + secrets.token_hex(16),
           "RecordingUrl": "https://api.twilio.com/rec/4", "RecordingDuration": "6"}
    assert webhook(web, "/twilio/voicemail", call_params(sid, number, **rec)).status == 200
    assert webhook(web, "/twilio/status", call_params(
        sid, number, CallStatus="completed", CallDuration="70")).status == 204
    assert last_call(pg, bid)["disposition"] == "message_taken"
    # A transfer that was answered ends the call as before.
    sid = new_sid()
    webhook(web, "/twilio/voice", call_params(sid, number))
    webhook(web, "/twilio/gather", call_params(sid, number,
                                               SpeechResult="can I talk to a real person"))
    resp = webhook(web, "/twilio/dial-status", call_params(
        sid, number, DialCallStatus="completed", DialCallSid=new_sid(), DialCallDuration="40"))
    assert "<Hangup/>" in resp.text and "<Record" not in resp.text
    webhook(web, "/twilio/status", call_params(sid, number, CallStatus="completed",
                                               CallDuration="50"))
    assert last_call(pg, bid)["disposition"] == "transferred"


def test_a_transfer_nobody_answers_can_be_simulated(pg, web):
    # cortana-call's 'dial: no-answer' ends the next <Dial> unanswered, as
    # Twilio reports it (DialCallStatus, no DialCallDuration): the caller
    # leaves a message instead, and the call is logged as one.
    bid, number = make_business(pg)
    out = call(web, number, "can I talk to a real person", "dial: no-answer",
               "record: it's Sam, call me back about my boiler")
    assert "-- transferred to +13125550100" in out and "the transfer ended no-answer" in out
    c = last_call(pg, bid)
    assert c["disposition"] == "message_taken" and "boiler" in c["message"], c
    # Without a 'dial:' line the transfer is answered, as before.
    bid, number = make_business(pg)
    call(web, number, "can I talk to a real person")
    assert last_call(pg, bid)["disposition"] == "transferred"
    # A status Twilio never gives is a script error, not a caller's words.
    proc = subprocess.run([str(conftest.BUILDDIR / "tools" / "cortana-call"), "--url", web.url,
                           "--token", TOKEN, "--to", number, "--say", "dial: maybe"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "dial:" in proc.stderr


def test_spam_is_refused(pg, web):
    bid, number = make_business(pg)
    out = call(web, number, "Hi, we're calling about your Google business listing")
    assert "not interested" in out
    assert last_call(pg, bid)["disposition"] == "spam"


def test_blocked_caller_is_refused(pg, web):
    bid, number = make_business(pg)
    pg.execute("INSERT INTO blocked_numbers (business_id, phone) VALUES (%s, '+13125550666')",
               (bid,))
    out = call(web, number, "hello", caller="+13125550666")
    assert "can't take your call" in out
    assert last_call(pg, bid)["disposition"] == "spam"


def test_blocked_and_lines_busy_are_said_in_the_business_language_and_voice(pg, web):
    # A Spanish-only business: its refusal and its lines-busy voicemail are
    # Spanish, in its own voice, and the call log says es from the start.
    personality = {"languages": ["es"], "voice": {"es": "Polly.Mia-Neural"}}
    bid, number = make_business(pg, personality=personality, settings={"overflow_limit": 1})
    pg.execute("INSERT INTO blocked_numbers (business_id, phone) VALUES (%s, '+13125550667')",
               (bid,))
    twiml = webhook(web, "/twilio/voice", call_params(new_sid(), number,
                                                      caller="+13125550667")).text
    assert "no podemos atender" in twiml and 'voice="Polly.Mia-Neural"' in twiml
    assert "Joanna" not in twiml and "en-US" not in twiml
    assert last_call(pg, bid)["language"] == "es"
    webhook(web, "/twilio/voice", call_params(new_sid(), number))  # fills the only line
    sid = new_sid()
    twiml = webhook(web, "/twilio/voice", call_params(sid, number)).text
    assert "<Record" in twiml and "líneas están ocupadas" in twiml
    assert 'voice="Polly.Mia-Neural"' in twiml and "en-US" not in twiml
    assert pg.query("SELECT language FROM call_logs WHERE call_sid = %s", (sid,))[0][0] == "es"


def test_silence_twice_then_voicemail(pg, web):
    bid, number = make_business(pg)
    out = call(web, number, "<silence>", "<silence>", "<silence>",
               "record: Hi this is Lee, please call me back")
    assert "leave your name" in out
    c = last_call(pg, bid)
    assert c["disposition"] == "message_taken"
    # The summary the owner reads says the same as the disposition.
    assert c["summary"].startswith("en call (message_taken).")
    assert "Voicemail: Hi this is Lee, please call me back" in c["summary"]
    assert pg.query("SELECT transcription FROM voicemails WHERE business_id = %s",
                    (bid,))[0][0] == "Hi this is Lee, please call me back"


def test_the_simulator_posts_the_transcription_after_the_status_callback(pg, web):
    # Twilio's order: the call ends (status callback), then the recording's
    # transcription arrives. The simulator follows it, so scripted calls
    # exercise what real ones do.
    bid, number = make_business(pg)
    call(web, number, "<silence>", "<silence>", "<silence>",
         "record: Hi this is Lee, please call me back")
    c = last_call(pg, bid)
    (ended, said) = pg.query(
        "SELECT c.ended_at, (SELECT min(l.created_at) FROM transcript_lines l WHERE "
        "l.call_log_id = c.id AND l.text = 'Hi this is Lee, please call me back') "
        "FROM call_logs c WHERE c.id = %s", (c["id"],))[0]
    assert ended is not None and said is not None and said > ended, (ended, said)


def test_spanish_voicemail_is_thanked_in_spanish(pg, web):
    bid, number = make_business(pg)
    out = call(web, number, "Hola, buenas tardes, ¿me escucha bien?", "<silence>", "<silence>",
               "record: Soy Lupe Soto, llámeme por favor")
    assert "Deje su nombre" in out
    said_after = out[out.index("Soy Lupe Soto"):]
    # The thank-you after the recording is Cortana's, in the caller's language and voice.
    assert "Cortana [es-US]" in said_after and "mensaje" in said_after
    assert "We got your message" not in out
    assert last_call(pg, bid)["disposition"] == "message_taken"


def test_voicemail_after_an_answered_question_is_a_message(pg, web):
    # The caller's message is what the owner must act on: a voicemail left
    # after a question was answered logs the call as message_taken.
    bid, number = make_business(pg)
    out = call(web, number, "what are your hours", "<silence>", "<silence>", "<silence>",
               "record: it's Kim, call me about a quote for a new water heater")
    assert "Our hours are" in out and "leave your name" in out
    assert last_call(pg, bid)["disposition"] == "message_taken"


def test_the_greeting_is_in_the_first_language_the_business_offers(pg, web):
    # languages ["es", "en"]: a Spanish-first business greets in Spanish,
    # though it speaks English too (an English caller still switches it).
    bid, number = make_business(pg, personality={"languages": ["es", "en"]})
    out = call(web, number, "<hangup>")
    assert "Cortana [es-US]" in out and "Cortana [en-US]" not in out
    assert last_call(pg, bid)["language"] == "es"
    bid, number = make_business(pg, personality={"languages": ["es", "en"]})
    out = call(web, number, "Hi, what are your hours today please", "<hangup>")
    assert "Our hours are" in out


def test_gather_hints_name_each_service_once_in_the_gather_language(pg, web):
    import re
    bid, number = make_business(pg, personality={"languages": ["es"]})
    twiml = webhook(web, "/twilio/voice", call_params(new_sid(), number)).text
    hints = re.search(r'hints="([^"]*)"', twiml).group(1).split(",")
    assert 'language="es-US"' in twiml
    assert hints.count("Drain cleaning") == 1 and len(hints) == len(set(hints))
    assert "emergencia" in hints and not {"emergency", "appointment", "leak"} & set(hints)


def test_missed_call_gets_a_text_back(pg, web, fake_twilio):
    bid, number = make_business(pg)
    call(web, number, "<hangup>", caller="+13125550188")
    c = last_call(pg, bid)
    assert c["disposition"] == "abandoned"
    assert wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == "+13125550188"
                             and "Sorry we missed you" in m["body"]])
    # The caller's reply lands on the call log.
    assert webhook(web, "/twilio/sms", {"AccountSid": ACCOUNT_SID, "MessageSid": "SM" + "5" * 32,
                                        "From": "+13125550188", "To": number,
                                        "Body": "Can someone come tomorrow?"}).status == 200
    assert pg.query("SELECT body FROM sms_messages WHERE call_log_id = %s AND direction = "
                    "'inbound'", (c["id"],)) == [("Can someone come tomorrow?",)]


def test_missed_call_text_back_follows_the_call_language(pg, web, fake_twilio):
    # A business that answers in Spanish only: its missed callers are texted in Spanish.
    bid, number = make_business(pg, personality={"languages": ["es"]})
    call(web, number, "Hola", "<hangup>", caller="+13125550189")
    assert last_call(pg, bid)["disposition"] == "abandoned"
    text = wait_for(lambda: [m for m in fake_twilio.sent() if m["to"] == "+13125550189"])
    assert text and "Sorry we missed you" not in text[0]["body"]
    assert "Acme Test Plumbing" in text[0]["body"] and "llamada" in text[0]["body"]


# ------------------------------------------------------------------- routing

def test_after_hours_greeting_offers_the_emergency_line(pg, web):
    bid, number = make_business(pg, hours=CLOSED)
    out = call(web, number, "<hangup>")
    assert "We're closed right now" in out
    assert last_call(pg, bid)["route"] == "after_hours"


def test_canceled_subscription_forwards_to_the_owner(pg, web):
    bid, number = make_business(pg, subscription_status="canceled")
    out = call(web, number, "<hangup>")
    assert "-- transferred to +13125550100" in out
    assert last_call(pg, bid)["route"] == "forward_owner"


# -------------------------------------------------------------- bad input

@pytest.mark.allow_log_errors
def test_bad_signature_is_403(pg, web):
    bid, number = make_business(pg)
    resp = webhook(web, "/twilio/voice", call_params(new_sid(), number), signature="bogus=")
    assert resp.status == 403
    assert "X-Twilio-Signature does not verify" in web.error_log()
    params = call_params(new_sid(), number)
    signed = sign(web.public_url + "/twilio/voice", params)
    params["From"] = "+19999999999"  # tampered after signing
    assert webhook(web, "/twilio/voice", params, signature=signed).status == 403


def test_missing_or_malformed_params_are_400_with_a_reason(pg, web):
    bid, number = make_business(pg)
    params = call_params(new_sid(), number)
    del params["CallSid"]
    assert webhook(web, "/twilio/voice", params).status == 400
    assert "missing CallSid" in web.error_log()
    assert webhook(web, "/twilio/voice", call_params("CA123", number)).status == 400
    assert webhook(web, "/twilio/status", call_params(new_sid(), number)).status in (204, 400)


def test_unknown_number_gets_polite_twiml(pg, web):
    resp = webhook(web, "/twilio/voice", call_params(new_sid(), "+19995550123"))
    assert resp.status == 200 and "not in service" in resp.text
    assert "which no business has" in web.error_log()


def test_recordings_for_an_unknown_number_are_not_blamed_on_the_database(pg, web):
    # A number no business has: the voicemail callback answers as the voice
    # webhook does (the caller is still on the line), the transcription is
    # dropped, and neither claims the database is down.
    sid, unknown = new_sid(), "+19995550124"
    before = len(web.error_log())
    rec = {"RecordingSid": "RE" + secrets.token_hex(16),
           "RecordingUrl": "https://api.twilio.com/rec/8", "RecordingDuration": "5"}
    resp = webhook(web, "/twilio/voicemail", call_params(sid, unknown, **rec))
    assert resp.status == 200 and "not in service" in resp.text
    assert webhook(web, "/twilio/transcription", call_params(
        sid, unknown, TranscriptionText="hello", **rec)).status == 204
    # A transcription for a call this business never had says so.
    bid, number = make_business(pg)
    assert webhook(web, "/twilio/transcription", call_params(
        new_sid(), number, TranscriptionText="hello", **rec)).status == 400
    log = web.error_log()[before:]
    assert "which no business has" in log and "no call with this CallSid" in log
    assert "database unavailable" not in log


def test_retried_voice_webhook_does_not_duplicate_the_call(pg, web):
    bid, number = make_business(pg)
    sid = new_sid()
    webhook(web, "/twilio/voice", call_params(sid, number))
    webhook(web, "/twilio/voice", call_params(sid, number))
    assert pg.query("SELECT count(*) FROM call_logs WHERE call_sid = %s", (sid,))[0][0] == 1


def test_twilio_5xx_is_retried_and_recorded(pg, web, fake_twilio):
    bid, number = make_business(pg)
    fake_twilio.fail_next(503, 2)
    call(web, number, "I want to leave a message", "Retry Person", "call me please", "no")
    row = wait_for(lambda: [r for r in sms_rows(pg, bid) if r[2] == "owner_notice"
                            and r[1] == "sent"], timeout=15)
    # At least one 503 hit this text (the fake is shared, so another text
    # may have taken the other), then an attempt went through.
    assert row and row[0][4] >= 2


@pytest.mark.allow_log_errors
def test_database_down_mid_call_still_takes_a_message(pg, web):
    bid, number = make_business(pg)
    sid = new_sid()
    assert webhook(web, "/twilio/voice", call_params(sid, number)).status == 200
    pg.stop()
    try:
        resp = webhook(web, "/twilio/gather", call_params(sid, number, SpeechResult="hello"))
        assert resp.status == 200 and "<Record" in resp.text
        rec = {"RecordingSid": "RE" + secrets.token_hex(16),
               "RecordingUrl": "https://api.twilio.com/rec/2", "RecordingDuration": "5"}
        # The recording callback asks Twilio to retry while the database is down...
        assert webhook(web, "/twilio/voicemail", call_params(sid, number, **rec)).status == 503
    finally:
        pg.start()
    # ...and stores it once it is back.
    assert wait_for(lambda: webhook(web, "/twilio/voicemail",
                                    call_params(sid, number, **rec)).status == 200)
    assert pg.query("SELECT count(*) FROM voicemails WHERE call_log_id = "
                    "(SELECT id FROM call_logs WHERE call_sid = %s)", (sid,))[0][0] == 1


@pytest.mark.allow_log_errors
def test_database_down_when_the_call_comes_in_still_keeps_the_message(pg, web):
    # The voice webhook could open no call log; the recording Twilio retries
    # once the database is back must still be stored, on a call log of its own.
    bid, number = make_business(pg)
    sid = new_sid()
    rec = {"RecordingSid": "RE" + secrets.token_hex(16),
           "RecordingUrl": "https://api.twilio.com/rec/3", "RecordingDuration": "7"}
    pg.stop()
    try:
        resp = webhook(web, "/twilio/voice", call_params(sid, number, caller="+13125550199"))
        assert resp.status == 200 and "<Record" in resp.text
        assert webhook(web, "/twilio/voicemail", call_params(sid, number, caller="+13125550199",
                                                             **rec)).status == 503
    finally:
        pg.start()
    assert wait_for(lambda: webhook(web, "/twilio/voicemail", call_params(
        sid, number, caller="+13125550199", **rec)).status == 200)
    rows = pg.query("SELECT c.from_number, c.disposition, v.recording_url FROM voicemails v "
                    "JOIN call_logs c ON c.id = v.call_log_id WHERE c.call_sid = %s", (sid,))
    assert rows == [("+13125550199", "message_taken", "https://api.twilio.com/rec/3")]
    assert webhook(web, "/twilio/transcription", call_params(
        sid, number, caller="+13125550199", TranscriptionText="please call me about my boiler",
        **rec)).status == 204
    assert last_call(pg, bid)["message"] == "please call me about my boiler"
