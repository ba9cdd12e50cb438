"""The handoff (issue 6): a call the realtime engine held goes on with the
built-in engine when OpenAI goes away mid-call, from what the caller had
already said there — same language, no question asked twice, no dispatch or
booking made twice — and the realtime engine keeps the call log's language.

Each test plays Twilio's media stream against the fake OpenAI Realtime
(tests/fakes/fake_openai.py, scripted transcripts and replies), cuts OpenAI
off, then plays what Twilio does next: the <Redirect> to /twilio/gather,
the caller's next turns, the status callback."""
import asyncio
import html
import re

from test_calls import call_params, webhook
from test_realtime import (TwilioStream, answer, db_lines, fake, run,  # noqa: F401 (fixtures)
                           token_of, web)

DROPPED = "Sorry, I had a hiccup — let me continue."


def realtime_call(web, pg, fake, utterances, replies=(), until=None, **business):
    """A call answered by the realtime engine: the caller says `utterances`,
    one turn each (the fake transcribes them), answered by `replies`; once
    each turn's lines are stored (and `until(sid)` holds, when given), OpenAI
    drops and the worker closes Twilio's stream. Returns (bid, number, sid)."""
    bid, number, sid, twiml = answer(web, pg, **business)
    fake.utterances = list(utterances)
    fake.replies = list(replies)

    def stored(n):
        lines = db_lines(pg, sid)
        heard = sum(1 for speaker, _ in lines if speaker == "caller")
        return heard >= n and (n > len(replies) or ("cortana", replies[n - 1]) in lines)

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            assert await call.until(lambda: fake.events("session.update"))
            await asyncio.sleep(0.3)
            for n in range(1, len(utterances) + 1):
                await call.say(frames=8, silence=8)
                assert await call.until(lambda: stored(n), timeout=10), db_lines(pg, sid)
            if until:
                assert await call.until(lambda: until(sid), timeout=10), "never happened"
            fake.drop()
            assert await call.until(lambda: call.closed, timeout=5), "the stream outlived OpenAI"

    run(scenario())
    return bid, number, sid


def says(twiml):
    return [html.unescape(s) for s in re.findall(r"<Say[^>]*>(.*?)</Say>", twiml, re.S)]


def gather(web, number, sid, words=None):
    params = call_params(sid, number, **({"SpeechResult": words} if words else {}))
    resp = webhook(web, "/twilio/gather", params)
    assert resp.status == 200, resp.text
    return resp.text


def hang_up(web, number, sid):
    resp = webhook(web, "/twilio/status", call_params(sid, number, CallStatus="completed",
                                                      CallDuration="75"))
    assert resp.status == 204, resp.text


def call_log(pg, sid):
    keys = ("language", "engine", "failover", "disposition", "emergency", "transcript")
    row = pg.query("SELECT language, engine, failover, disposition, emergency, transcript "
                   "FROM call_logs WHERE call_sid = %s", (sid,))[0]
    return dict(zip(keys, row))


# ----------------------------------------------------------------------------

def test_the_built_in_engine_goes_on_without_asking_again_and_books_once(web, pg, fake):
    bid, number, sid = realtime_call(
        web, pg, fake,
        ["Hi, my kitchen drain is clogged, can someone come out?", "Maria Lopez",
         "1420 Oak Street"],
        ["I can help with that. May I have your name?",
         "Thanks, Maria. What's the address for the visit?", "Let me check the schedule."])
    # Twilio runs the <Redirect> after the stream: the built-in engine takes over
    twiml = gather(web, number, sid)
    said = says(twiml)
    assert said[0] == DROPPED, said
    assert not re.search(r"name|address|problem", " ".join(said)), said
    assert "When would you like us to come?" in " ".join(said), said
    assert 'language="en-US"' in twiml and "<Gather" in twiml
    assert "The soonest opening I have is" in " ".join(
        says(gather(web, number, sid, "as soon as possible")))
    assert "You're booked, Maria Lopez" in " ".join(says(gather(web, number, sid, "yes")))
    assert "<Hangup" in gather(web, number, sid, "no thanks")
    hang_up(web, number, sid)
    rows = pg.query("SELECT customer_name, customer_address, problem FROM appointments "
                    "WHERE business_id = %s", (bid,))
    assert rows == [("Maria Lopez", "1420 Oak Street",
                     "Hi, my kitchen drain is clogged, can someone come out?")]
    c = call_log(pg, sid)
    assert c["failover"] == "realtime_to_builtin" and c["engine"] == "realtime"
    assert c["disposition"] == "booked" and c["language"] == "en"
    assert "system: The realtime engine stopped" in c["transcript"]


def test_a_spanish_realtime_call_is_logged_in_spanish_and_goes_on_in_spanish(web, pg, fake):
    bid, number, sid = realtime_call(
        web, pg, fake,
        ["Hola, se me tapó el fregadero de la cocina, necesito una cita", "Me llamo Ana Ruiz"],
        ["Claro que sí. ¿Me da su nombre, por favor?", "Gracias, Ana. ¿Cuál es la dirección?"])
    # the worker followed the caller's language while the realtime engine held the call
    assert call_log(pg, sid)["language"] == "es"
    langs = pg.query("SELECT t.speaker, t.language FROM transcript_lines t JOIN call_logs c "
                     "ON c.id = t.call_log_id WHERE c.call_sid = %s AND t.speaker = 'caller'",
                     (sid,))
    assert langs == [("caller", "es"), ("caller", "es")], langs
    twiml = gather(web, number, sid)
    said = says(twiml)
    assert said[0] == "Perdón, tuve un pequeño problema técnico — sigamos.", said
    assert "¿Cuál es la dirección de la visita?" in said and "nombre" not in " ".join(said)
    assert 'language="es-US"' in twiml
    assert "¿Cuándo le gustaría la visita?" in " ".join(
        says(gather(web, number, sid, "Vivo en 300 calle Clark")))
    hang_up(web, number, sid)
    assert call_log(pg, sid)["language"] == "es"


def test_an_emergency_recognised_on_the_realtime_side_is_not_dispatched_again(web, pg, fake):
    def dispatched(sid):
        return pg.query("SELECT count(*) FROM dispatches d JOIN call_logs c ON "
                        "c.id = d.call_log_id WHERE c.call_sid = %s", (sid,))[0][0] == 1

    bid, number, sid = realtime_call(
        web, pg, fake, ["there is a strong gas smell in my kitchen"],
        ["Please leave the house now. What's the address where the technician should go?"],
        until=dispatched)
    twiml = gather(web, number, sid)
    said = " ".join(says(twiml))
    assert said.startswith(DROPPED), said
    assert "alerting" not in said, said        # the technician was texted once, already
    assert "What's the address where the technician should go?" in said
    said = " ".join(says(gather(web, number, sid, "I still smell gas, I'm at 12 Elm Street")))
    assert "alerting" not in said and "your name" in said, said
    hang_up(web, number, sid)
    # each dispatch attempt logs this line; the referee's was the only one
    assert web.error_log().count("emergency (gas_leak): dispatching") == 1
    assert pg.query("SELECT count(*) FROM sms_messages WHERE business_id = %s AND "
                    "purpose = 'dispatch'", (bid,))[0][0] == 1
    c = call_log(pg, sid)
    assert c["emergency"] and c["disposition"] == "emergency_dispatched"
    assert c["failover"] == "realtime_to_builtin"


def test_an_emergency_nobody_could_be_alerted_to_is_not_logged_as_dispatched(web, pg, fake):
    # No technician and no owner phone: the realtime side's dispatch was
    # exhausted at once. Handed to the built-in engine, the call must not be
    # said, summarised or logged as dispatched: the caller waits for a call back.
    def tried(sid):
        return pg.query("SELECT count(*) FROM dispatches d JOIN call_logs c ON "
                        "c.id = d.call_log_id WHERE c.call_sid = %s AND d.status = 'exhausted'",
                        (sid,))[0][0] == 1

    bid, number, sid = realtime_call(
        web, pg, fake, ["there is a strong gas smell in my kitchen"],
        ["Please leave the house now. What's the address?"], until=tried,
        technicians=0, owner_phone=None)
    said = " ".join(says(gather(web, number, sid)))
    assert said.startswith(DROPPED) and "alerting" not in said, said
    gather(web, number, sid, "I'm at 12 Elm Street, my name is Ann Lee")
    hang_up(web, number, sid)
    c = call_log(pg, sid)
    assert c["emergency"] and c["disposition"] == "message_taken", c
    summary = pg.query("SELECT summary FROM call_logs WHERE call_sid = %s", (sid,))[0][0]
    assert "nobody on call could be alerted" in summary and "technician alerted" not in summary
    assert "(message_taken)" in summary, summary
    assert web.error_log().count("emergency (gas_leak): dispatching") == 1


def test_a_booking_the_realtime_tool_made_is_not_made_again(web, pg, fake):
    def booked(sid):
        return pg.query("SELECT count(*) FROM appointments a JOIN call_logs c ON "
                        "c.id = a.call_log_id WHERE c.call_sid = %s", (sid,))[0][0] == 1

    fake.tool_calls = {"book": [("check_availability", {}),
                                ("book_appointment", {"start": "$slot", "name": "Rita Realtime",
                                                      "address": "9 Pine Street"})]}
    bid, number, sid = realtime_call(web, pg, fake, ["I want to book a visit for a leaky pipe"],
                                     until=booked)
    said = says(gather(web, number, sid))
    assert said == [DROPPED, "Is there anything else I can help you with?"], said
    assert "<Hangup" in gather(web, number, sid, "no, that's all")
    hang_up(web, number, sid)
    assert pg.query("SELECT count(*) FROM appointments WHERE business_id = %s", (bid,))[0][0] == 1
    assert call_log(pg, sid)["disposition"] == "booked"
