"""The realtime engine: Twilio Media Streams through httpd (mod_proxy_wstunnel)
to cortana-media, relayed to a fake OpenAI Realtime (tests/fakes/fake_openai.py).

A test plays Twilio's side of the media stream: connected, start (with the
token from the voice webhook's TwiML), 20 ms mu-law frames, mark echoes as
the audio "plays", stop."""
import asyncio
import base64
import json
import re
import sys
import time
from pathlib import Path

import pytest
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fakes"))

import stack  # noqa: E402
from fake_openai import FakeRealtime  # noqa: E402
from test_calls import call_params, make_business, new_sid, webhook  # noqa: E402

SPEECH = bytes([0x55]) * 160
SILENCE = bytes([0xFF]) * 160


@pytest.fixture
def fake():
    f = FakeRealtime().start()
    yield f
    f.stop()


def worker_stats(web):
    """The worker's own {"cmd":"stats"} answer, from its control socket."""
    return control(web, {"cmd": "stats"})


def control(web, command):
    """One command on the worker's control socket; its answer ({} if none)."""
    try:
        return stack.worker_control(web.runtime_dir, json.dumps(command))
    except (OSError, ValueError):
        return {}


def realtime_ready(web, timeout=15):
    """httpd answers the first call of a test only once the worker is up and
    reports OpenAI healthy, as it would for Twilio's first call; children
    cache a negative answer for a second, so wait that out too."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if worker_stats(web).get("openai_healthy"):
            time.sleep(1.1)
            return web
        time.sleep(0.1)
    raise AssertionError(f"the worker never reported OpenAI healthy: {worker_stats(web)}")


def realtime_httpd(httpd_factory, fake, tmp_path, extra=""):
    key = tmp_path / "openai.key"
    key.write_text("sk-test-0123456789\n")
    key.chmod(0o600)
    instance = httpd_factory(f"CortanaOpenAIKeyFile {key}\nCortanaOpenAIRealtimeURL {fake.url}\n"
                             f"LogLevel warn cortana:info\n{extra}")
    return realtime_ready(instance)


@pytest.fixture
def web(httpd_factory, fake, tmp_path):
    """The production default: CortanaMediaChunk 60."""
    return realtime_httpd(httpd_factory, fake, tmp_path)


@pytest.fixture
def web20(httpd_factory, fake, tmp_path):
    """Every 20 ms frame relayed as it comes, a mark after every media message."""
    return realtime_httpd(httpd_factory, fake, tmp_path, "CortanaMediaChunk 20")


def answer(web, pg, **business):
    bid, number = make_business(pg, **business)
    sid = new_sid()
    resp = webhook(web, "/twilio/voice", call_params(sid, number))
    assert resp.status == 200, resp.text
    return bid, number, sid, resp.text


def token_of(twiml):
    m = re.search(r'<Parameter name="token" value="([^"]+)"/>', twiml)
    assert m, twiml
    return m.group(1)


class TwilioStream:
    """Twilio's side of one bidirectional media stream."""

    def __init__(self, web, call_sid, token, ack_marks=True):
        self.url = f"ws://127.0.0.1:{web.port}/twilio/media"
        self.call_sid, self.token = call_sid, token
        self.ack_marks = ack_marks
        self.media = []      # bytes of each media message received
        self.marks = []      # mark names received
        self.clears = 0
        self.events = []     # everything, in order
        self.seq = 0
        self.closed = False

    async def __aenter__(self):
        self.ws = await websockets.connect(self.url, max_size=None)
        await self.send({"event": "connected", "protocol": "Call", "version": "1.0.0"})
        await self.send({"event": "start", "start": {
            "accountSid": "AC" + "0" * 32, "streamSid": "MZ" + "1" * 32, "callSid": self.call_sid,
            "tracks": ["inbound"], "mediaFormat": {"encoding": "audio/x-mulaw",
                                                   "sampleRate": 8000, "channels": 1},
            "customParameters": {"token": self.token}}, "streamSid": "MZ" + "1" * 32})
        self.reader = asyncio.ensure_future(self._read())
        return self

    async def __aexit__(self, *exc):
        if not self.closed:
            try:
                await self.send({"event": "stop", "stop": {"callSid": self.call_sid}})
            except websockets.ConnectionClosed:
                pass
            await self.ws.close()
        self.reader.cancel()

    async def send(self, msg):
        if "event" in msg and msg["event"] != "connected":
            self.seq += 1
            msg["sequenceNumber"] = str(self.seq)
        await self.ws.send(json.dumps(msg))

    async def _read(self):
        try:
            async for raw in self.ws:
                msg = json.loads(raw)
                self.events.append(msg)
                if msg["event"] == "media":
                    self.media.append(base64.b64decode(msg["media"]["payload"]))
                elif msg["event"] == "mark":
                    self.marks.append(msg["mark"]["name"])
                    if self.ack_marks is True or (callable(self.ack_marks)
                                                  and self.ack_marks(len(self.marks))):
                        await self.send({"event": "mark", "streamSid": "MZ" + "1" * 32,
                                         "mark": {"name": msg["mark"]["name"]}})
                elif msg["event"] == "clear":
                    self.clears += 1
        except websockets.ConnectionClosed:
            pass
        self.closed = True

    async def say(self, frames=10, silence=8):
        for payload in [SPEECH] * frames + [SILENCE] * silence:
            await self.send({"event": "media", "streamSid": "MZ" + "1" * 32,
                             "media": {"track": "inbound", "chunk": str(self.seq),
                                       "timestamp": str(self.seq * 20),
                                       "payload": base64.b64encode(payload).decode()}})
            await asyncio.sleep(0.002)

    async def until(self, predicate, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate():
                return True
            await asyncio.sleep(0.02)
        return False


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def db_lines(pg, sid):
    return pg.query("SELECT t.speaker, t.text FROM transcript_lines t JOIN call_logs c ON "
                    "c.id = t.call_log_id WHERE c.call_sid = %s ORDER BY t.seq", (sid,))


# ----------------------------------------------------------------------------

def test_the_voice_webhook_answers_with_a_greeting_a_stream_and_a_fallback(web, pg):
    bid, number, sid, twiml = answer(web, pg)
    assert "<Say" in twiml
    assert f'<Stream url="ws://127.0.0.1:{web.port}/twilio/media">' in twiml
    assert twiml.index("<Say") < twiml.index("<Connect>") < twiml.index("<Redirect")
    token = token_of(twiml)
    assert token.split(".")[1] == bid
    (engine,) = pg.query("SELECT engine FROM call_logs WHERE call_sid = %s", (sid,))[0]
    assert engine == "realtime"


def relay_both_ways(web, pg, fake, linger=0.0):
    """A greeting and one turn; returns the Twilio side of the call."""
    bid, number, sid, twiml = answer(web, pg)
    fake.utterances = ["what are your hours"]

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            assert await call.until(lambda: fake.events("session.update")), "no session.update"
            assert await call.until(lambda: sum(map(len, call.media)) >= 1120), call.events
            await call.say(frames=12, silence=8)
            assert await call.until(lambda: fake.events("conversation.item.create") or
                                    len(db_lines(pg, sid)) >= 2, timeout=10)
            assert await call.until(lambda: len(db_lines(pg, sid)) >= 2)
            await asyncio.sleep(linger)
            return call

    call = run(scenario())
    return sid, call


def twilio_playback(call):
    """(bytes, marked) per media message to Twilio: whether a mark followed it."""
    out = []
    for e in call.events:
        if e["event"] == "media":
            out.append([len(base64.b64decode(e["media"]["payload"])), False])
        elif e["event"] == "mark" and out:
            out[-1][1] = True
    return out


def test_audio_is_relayed_both_ways_unchanged_in_whole_frames(web, pg, fake):
    sid, call = relay_both_ways(web, pg, fake)
    hs = fake.handshakes[0]
    assert hs["authorization"] == "Bearer sk-test-0123456789"
    assert "model=gpt-realtime" in hs["path"]
    session = fake.events("session.update")[0]["session"]
    assert session["type"] == "realtime"
    assert session["audio"]["input"]["format"] == {"type": "audio/pcmu"}
    assert session["audio"]["output"]["format"] == {"type": "audio/pcmu"}
    assert session["audio"]["input"]["turn_detection"]["type"] == "server_vad"
    assert "transcription" in session["audio"]["input"]
    assert {t["name"] for t in session["tools"]} >= {"check_availability", "book_appointment",
                                                     "dispatch_technician",
                                                     "search_knowledgebase", "take_message"}
    assert "Test Plumbing" in session["instructions"] or session["instructions"]
    # Twilio got whole 20 ms frames; a mark after every 60 ms of audio at least, and one
    # at the end of each item (the greeting's 1000 bytes arrive as 1120, the last frame
    # padded with silence, and its last mark follows the last frame)
    assert call.media and all(len(m) % 160 == 0 for m in call.media)
    unmarked = 0
    for nbytes, marked in twilio_playback(call):
        unmarked = 0 if marked else unmarked + nbytes
        assert unmarked < 480, twilio_playback(call)
    assert twilio_playback(call)[-1][1], "the end of the reply has no mark"
    assert sum(map(len, call.media[:4])) == 1120  # 320, 480, 160, 160 (padded)
    # caller audio reached OpenAI byte for byte, in order, in 60 ms appends
    appended = [base64.b64decode(e["audio"]) for e in fake.events("input_audio_buffer.append")]
    assert b"".join(appended).startswith(SPEECH * 12 + SILENCE * 6)
    assert [len(a) for a in appended[:4]] == [480] * 4
    lines = db_lines(pg, sid)
    assert ("caller", "what are your hours") in lines
    assert any(s == "cortana" and "fake model" in t for s, t in lines)


def test_a_calls_usage_and_speed_are_recorded_on_its_call_log(web, pg, fake):
    # the greeting and one reply, then `stop` once the reply's response.done is in (usage of
    # a response still running when the caller hangs up is not known: the session closes)
    sid, call = relay_both_ways(web, pg, fake, linger=0.5)
    deadline = time.time() + 10
    while time.time() < deadline:
        (stats,) = pg.query("SELECT realtime_stats FROM call_logs WHERE call_sid = %s",
                            (sid,))[0]
        if stats:
            break
        time.sleep(0.1)
    assert stats, "no realtime_stats after the stream ended"
    replies = 2  # the greeting and the reply to the caller's turn
    assert stats["responses"] == replies, stats
    assert stats["input_tokens"] == 80 * replies and stats["output_tokens"] == 40 * replies
    assert stats["input_audio_tokens"] == 60 * replies and stats["cached_tokens"] == 10 * replies
    assert stats["output_audio_tokens"] == 30 * replies
    assert stats["least_tokens_left"] == fake.tokens_left and stats["least_requests_left"] == 4999
    assert 0 <= stats["first_audio_ms"] < 1000
    assert stats["turns"] == 1 and 0 <= stats["turn_latency_avg_ms"] <= stats["turn_latency_max_ms"]
    assert stats["frames_in"] >= 20 and stats["frames_out"] >= 7 and stats["sessions"] == 1


def test_a_realtime_conversation_ends_answered_not_abandoned(web, pg, fake):
    # The built-in dialog never ran: its state is the greeting's. The call log must say
    # what happened on the realtime engine, and the caller must not be texted "we missed you".
    sid, call = relay_both_ways(web, pg, fake)
    (number,) = pg.query("SELECT to_number FROM call_logs WHERE call_sid = %s", (sid,))[0]
    resp = webhook(web, "/twilio/status", call_params(sid, number, CallStatus="completed",
                                                       CallDuration="42"))
    assert resp.status == 204, resp.text
    disposition, summary, cid = pg.query(
        "SELECT disposition, summary, id FROM call_logs WHERE call_sid = %s", (sid,))[0]
    assert disposition == "question_answered"
    assert "realtime engine" in summary and "what are your hours" in summary
    assert not pg.query("SELECT 1 FROM sms_messages WHERE call_log_id = %s AND purpose = "
                        "'missed_call'", (cid,))


def test_with_20_ms_chunks_every_frame_goes_at_once_and_every_message_is_marked(web20, pg, fake):
    sid, call = relay_both_ways(web20, pg, fake)
    assert all(marked for _, marked in twilio_playback(call)), twilio_playback(call)
    appended = [e["audio"] for e in fake.events("input_audio_buffer.append")]
    assert appended[:12] == [base64.b64encode(SPEECH).decode()] * 12


def test_caller_audio_before_the_session_is_ready_is_held_not_lost(web, pg, fake):
    fake.session_delay_ms = 1500
    bid, number, sid, twiml = answer(web, pg)
    frames = [bytes([i + 1]) * 160 for i in range(25)]  # 500 ms, each frame its own bytes

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            for f in frames:
                await call.send({"event": "media", "streamSid": "MZ" + "1" * 32,
                                 "media": {"payload": base64.b64encode(f).decode()}})
            sent_at = time.time()
            assert await call.until(lambda: len(fake.events("input_audio_buffer.append")) >= 9)
            return sent_at

    sent_at = run(scenario())
    assert fake.session_ready_at and sent_at < fake.session_ready_at[0], \
        "the frames were not sent before the session was ready: nothing was tested"
    appended = [base64.b64decode(e["audio"]) for e in fake.events("input_audio_buffer.append")]
    assert b"".join(appended) == b"".join(frames)  # all of it, in order
    stats = worker_stats(web)
    assert stats["frames_dropped"] == 0


def test_a_stream_with_a_bad_token_is_closed_and_never_reaches_openai(web, pg, fake):
    bid, number, sid, twiml = answer(web, pg)

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml).replace(".", ".x", 1)) as call:
            return await call.until(lambda: call.closed, timeout=5)

    assert run(scenario()), "the worker kept a stream with a forged token"
    # /twilio/voice may have prewarmed one session; the forged stream got none
    # of it: no second session, no greeting, no caller audio
    assert len(fake.handshakes) <= 1
    assert fake.events("response.create") == []
    assert fake.events("input_audio_buffer.append") == []


def test_a_replayed_token_opens_no_second_relay_of_a_live_call(web, pg, fake):
    # The token is bound to the call and lives a minute: whoever saw it (a log, a
    # proxy) could open a second stream of the same call while it is live — a second
    # OpenAI session acting for the business (its tools book, dispatch, text). The
    # worker knows its live calls: the second stream is refused, the first goes on.
    bid, number, sid, twiml = answer(web, pg)
    token = token_of(twiml)

    async def scenario():
        async with TwilioStream(web, sid, token) as call:
            assert await call.until(lambda: call.media)
            async with TwilioStream(web, sid, token) as replay:
                refused = await replay.until(lambda: replay.closed, timeout=5)
            await asyncio.sleep(0.3)
            return refused, call.closed

    refused, closed = run(scenario())
    assert refused, "a second stream of a live call was relayed"
    assert not closed, "the real stream was closed"
    assert len(fake.handshakes) == 1, "a second OpenAI session for the same call"


def barge_in_run(web, pg, fake, ack_first_reply_fully):
    bid, number, sid, twiml = answer(web, pg)
    fake.greeting_bytes = 1600          # 10 frames
    fake.reply_bytes = 16000            # 2 s of audio: long enough to interrupt
    fake.delta_bytes = 800
    fake.pace_ms = 30
    fake.utterances = ["tell me about drain cleaning", "wait, stop"]
    state = {"phase": "greeting"}

    def ack(n):  # acknowledge every mark of the greeting, then only two of the reply
        if state["phase"] == "greeting":
            return True
        state["acked"] = state.get("acked", 0) + 1
        return state["acked"] <= 2

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml), ack_marks=ack) as call:
            assert await call.until(lambda: sum(map(len, call.media)) >= 1600)
            await asyncio.sleep(0.3)
            state["phase"] = "reply"
            before = len(call.media)
            await call.say(frames=6, silence=6)           # turn 1: a long reply starts
            assert await call.until(lambda: len(call.media) >= before + 4)
            await asyncio.sleep(0.1)
            await call.say(frames=4, silence=0)           # the caller talks over it
            assert await call.until(lambda: fake.events("conversation.item.truncate"))
            assert await call.until(lambda: call.clears >= 1)
            after_clear = len(call.media)
            await asyncio.sleep(0.5)
            return call, after_clear

    return run(scenario())


def test_barge_in_truncates_at_what_the_caller_heard(web, pg, fake):
    call, after_clear = barge_in_run(web, pg, fake, True)
    truncate = fake.events("conversation.item.truncate")[0]
    # two marks of the reply were heard: two media messages' bytes
    reply_items = [e for e in fake.events("conversation.item.truncate")]
    assert truncate["content_index"] == 0
    assert truncate["audio_end_ms"] > 0
    assert fake.errors_sent == [], fake.errors_sent   # never past what was sent
    assert fake.events("response.cancel"), "the running response was not cancelled"
    # late deltas of the truncated item were dropped: nothing more was played
    assert len(call.media) == after_clear
    assert len(reply_items) == 1


def test_the_second_reply_after_an_uninterrupted_first_is_truncated_at_its_own_audio(
        web, pg, fake):
    """The public relays keep the first reply's start time: their truncate of the
    second reply claims audio the caller never heard (OpenAI refuses it)."""
    bid, number, sid, twiml = answer(web, pg)
    fake.greeting_bytes = 3200          # 0.4 s greeting, fully heard
    fake.reply_bytes = 16000
    fake.delta_bytes = 800
    fake.pace_ms = 30
    fake.utterances = ["hi", "stop"]
    acked = {"reply": 0, "phase": "greeting"}

    def ack(n):
        if acked["phase"] == "greeting":
            return True
        acked["reply"] += 1
        return acked["reply"] <= 3

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml), ack_marks=ack) as call:
            assert await call.until(lambda: sum(map(len, call.media)) >= 3200)
            await asyncio.sleep(0.6)             # the whole first item was heard
            acked["phase"] = "reply"
            n = len(call.media)
            await call.say(frames=6, silence=6)
            assert await call.until(lambda: len(call.media) >= n + 5)
            await call.say(frames=4, silence=0)
            assert await call.until(lambda: fake.events("conversation.item.truncate"))
            return call, n

    call, first_reply_index = run(scenario())
    truncate = fake.events("conversation.item.truncate")[0]
    heard = sum(len(m) for m in call.media[first_reply_index:first_reply_index + 3])
    assert truncate["audio_end_ms"] == heard // 8, (truncate, heard)
    assert fake.errors_sent == []


def test_speaking_again_before_the_next_reply_plays_is_no_second_barge_in(web, pg, fake):
    # The caller cuts a reply off, then speaks again before the model's next reply has
    # any audio: there is nothing playing to interrupt. The cut-off reply must not be
    # truncated and cleared again, nor the new reply cancelled before it starts.
    bid, number, sid, twiml = answer(web, pg)
    fake.greeting_bytes = 1600
    fake.reply_bytes = 16000            # 2 s: long enough to interrupt
    fake.delta_bytes = 800
    fake.pace_ms = 30
    fake.utterances = ["tell me about drain cleaning", "wait, stop", "I mean the kitchen sink"]
    state = {"phase": "greeting", "acked": 0}

    def ack(n):  # the greeting heard whole, then only two marks of the reply
        if state["phase"] == "greeting":
            return True
        state["acked"] += 1
        return state["acked"] <= 2

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml), ack_marks=ack) as call:
            assert await call.until(lambda: sum(map(len, call.media)) >= 1600)
            await asyncio.sleep(0.3)
            state["phase"] = "reply"
            before = len(call.media)
            await call.say(frames=6, silence=6)           # turn 1: a long reply starts
            assert await call.until(lambda: len(call.media) >= before + 4)
            fake.reply_delay_ms = 1500                    # the next reply is slow to speak
            await call.say(frames=4, silence=8)           # the caller cuts it off: turn 2
            assert await call.until(lambda: call.clears >= 1)
            assert await call.until(lambda: ("caller", "wait, stop") in db_lines(pg, sid))
            await asyncio.sleep(0.2)  # turn 2's reply is created, still silent
            heard = len(call.media)
            await call.say(frames=4, silence=0)           # the caller speaks again
            await asyncio.sleep(0.5)
            assert len(call.media) == heard, "the slow reply spoke: nothing was tested"
            return call

    call = run(scenario())
    assert len(fake.events("conversation.item.truncate")) == 1, \
        fake.events("conversation.item.truncate")
    assert call.clears == 1
    assert len(fake.events("response.cancel")) == 1  # the first reply's, only
    assert fake.errors_sent == [], fake.errors_sent
    stats = worker_stats(web)
    assert stats["barge_ins"] == 1, stats


def test_tools_run_on_the_database_and_their_results_go_back(web, pg, fake):
    bid, number, sid, twiml = answer(web, pg)
    fake.utterances = ["I want to book a visit"]
    fake.tool_calls = {"book": [("check_availability", {}),
                                ("book_appointment", {"start": "$slot", "name": "Rita Realtime"})]}

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            assert await call.until(lambda: fake.events("session.update"))
            await asyncio.sleep(0.3)
            await call.say(frames=8, silence=8)
            assert await call.until(lambda: len(fake.events("conversation.item.create")) >= 2,
                                    timeout=15)
            return call

    run(scenario())
    outputs = [json.loads(e["item"]["output"]) for e in fake.events("conversation.item.create")]
    assert outputs[0]["slots"], outputs
    assert outputs[1]["ok"] is True, outputs
    (name, linked) = pg.query("SELECT a.customer_name, c.booked_appointment_id = a.id FROM "
                              "appointments a JOIN call_logs c ON c.call_sid = %s "
                              "WHERE a.business_id = %s", (sid, bid))[0]
    assert name == "Rita Realtime" and linked
    assert len(fake.events("response.create")) >= 3  # greeting + after each tool


def function_call_outputs(fake):
    return [e for e in fake.events("conversation.item.create")
            if e["item"].get("type") == "function_call_output"]


def test_the_tools_of_one_response_are_followed_by_one_response(web, pg, fake):
    # The model calls two tools in one response. The worker asked for a response
    # after each output, and OpenAI has one response at a time: it refused the
    # second (or, with a tool quicker than the response's end, the first) with
    # conversation_already_has_active_response. One response.create must follow,
    # once the tools' response is done and both outputs are in.
    bid, number, sid, twiml = answer(web, pg)
    fake.utterances = ["I want to book a visit"]
    fake.tool_calls = {"book": [("check_availability", {}),
                                ("check_availability", {"duration_minutes": 90})]}
    fake.parallel_tool_calls = True

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            assert await call.until(lambda: fake.events("session.update"))
            await asyncio.sleep(0.3)
            await call.say(frames=8, silence=8)
            assert await call.until(lambda: len(function_call_outputs(fake)) >= 2, timeout=15)
            assert await call.until(lambda: len(fake.events("response.create")) >= 2, timeout=5)
            await asyncio.sleep(1.0)  # what a second request would take to come and be refused

    run(scenario())
    assert fake.errors_sent == [], fake.errors_sent
    events = [e for _, e in fake.received]
    first = events.index(function_call_outputs(fake)[0])
    last = events.index(function_call_outputs(fake)[1])
    creates = [i for i, e in enumerate(events) if e.get("type") == "response.create" and i > first]
    assert len(creates) == 1 and creates[0] > last, [e.get("type") for e in events[first:]]
    assert len(fake.events("response.create")) == 2  # the greeting's, and this one


def test_the_emergency_referee_dispatches_what_the_model_did_not(web, pg, fake):
    bid, number, sid, twiml = answer(web, pg)
    fake.utterances = ["there is a strong gas smell in my kitchen"]

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            assert await call.until(lambda: fake.events("session.update"))
            await asyncio.sleep(0.2)
            await call.say(frames=8, silence=8)
            return await call.until(lambda: pg.query(
                "SELECT count(*) FROM dispatches d JOIN call_logs c ON c.id = d.call_log_id "
                "WHERE c.call_sid = %s", (sid,))[0][0] == 1, timeout=10)

    assert run(scenario()), "no dispatch"
    (emergency, disposition) = pg.query("SELECT emergency, disposition FROM call_logs "
                                        "WHERE call_sid = %s", (sid,))[0]
    assert emergency and disposition == "emergency_dispatched"
    assert not any(e.get("item", {}).get("type") == "function_call_output"
                   for e in fake.events("conversation.item.create"))
    # The technician's text links to the call on the dashboard, as on the built-in engine.
    (body, call_id) = pg.query("SELECT s.body, c.id FROM sms_messages s JOIN call_logs c "
                               "ON c.id = s.call_log_id WHERE c.call_sid = %s "
                               "AND s.purpose = 'dispatch'", (sid,))[0]
    assert f"Call: {web.public_url}/#/calls/{call_id}" in body, body
    # The summary says the emergency and that someone was alerted, as the built-in one does.
    assert webhook(web, "/twilio/status", call_params(sid, number, CallStatus="completed",
                                                       CallDuration="30")).status == 204
    (summary,) = pg.query("SELECT summary FROM call_logs WHERE call_sid = %s", (sid,))[0]
    assert "Emergency: gas leak, on-call technician alerted." in summary, summary


def test_the_technicians_text_from_a_realtime_dispatch_names_the_caller(web, pg, fake):
    # The built-in engine's dispatch text names the caller; the model's must too,
    # so the technician knows whom they are calling back.
    number, sid = realtime_tool_call(
        web, pg, fake, "I need someone out here right away",  # no rule matches: the model's own
        [("dispatch_technician", {"problem": "water through the ceiling", "category": "flooding",
                                  "address": "1420 Oak Street", "name": "Maria Lopez"})])
    (out,) = [json.loads(e["item"]["output"]) for e in fake.events("conversation.item.create")
              if e["item"].get("type") == "function_call_output"]
    assert out["ok"] is True, out
    (body,) = pg.query("SELECT s.body FROM sms_messages s JOIN call_logs c ON c.id = s.call_log_id "
                       "WHERE c.call_sid = %s AND s.purpose = 'dispatch'", (sid,))[0]
    assert "Maria Lopez" in body and "1420 Oak Street" in body, body
    session = fake.events("session.update")[0]["session"]
    (tool,) = [t for t in session["tools"] if t["name"] == "dispatch_technician"]
    assert "name" in tool["parameters"]["properties"]
    assert tool["parameters"]["required"] == ["problem"]


@pytest.mark.allow_log_errors  # "emergency with no technician and no owner phone to text"
def test_an_emergency_nobody_can_be_alerted_to_is_logged_and_said_honestly(web, pg, fake):
    # No technician and no owner phone: the dispatch reaches nobody. As on the built-in
    # engine, the call log must say emergency / message_taken (the owner calls back),
    # and the model must be told nobody was reached, so it does not promise a technician.
    # The caller's words make the referee try too, at the same moment: neither try may
    # pass the dispatch the other found exhausted off as a success.
    bid, number, sid, twiml = answer(web, pg, technicians=0, owner_phone=None)
    realtime_tool_call(web, pg, fake, "there is a strong gas smell in my kitchen",
                       [("dispatch_technician", {"problem": "gas smell", "category": "gas_leak"}),
                        ("dispatch_technician", {"problem": "gas smell, again"})],
                       sid_twiml=(bid, number, sid, twiml))
    outputs = [json.loads(e["item"]["output"]) for e in fake.events("conversation.item.create")
               if e["item"].get("type") == "function_call_output"]
    assert len(outputs) == 2, outputs
    for out in outputs:
        assert out["ok"] is False, out
        assert "911" in out["error"] and "call" in out["error"] and "back" in out["error"], out
    (emergency, disposition) = pg.query("SELECT emergency, disposition FROM call_logs "
                                        "WHERE call_sid = %s", (sid,))[0]
    assert emergency is True and disposition == "message_taken", (emergency, disposition)
    assert webhook(web, "/twilio/status", call_params(sid, number, CallStatus="completed",
                                                       CallDuration="40")).status == 204
    (emergency, disposition, summary) = pg.query("SELECT emergency, disposition, summary "
                                                 "FROM call_logs WHERE call_sid = %s", (sid,))[0]
    assert emergency is True and disposition == "message_taken", (emergency, disposition)
    # The summary the owner reads says whom to call back, as the built-in engine's does.
    assert "Emergency: gas leak, nobody on call could be alerted: call back." in summary, summary
    assert pg.query("SELECT status FROM dispatches WHERE business_id = %s", (bid,)) == \
        [("exhausted",)]


def test_twilio_stop_closes_the_openai_session_at_once(web, pg, fake):
    bid, number, sid, twiml = answer(web, pg)

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            assert await call.until(lambda: fake.events("session.update"))
            await call.send({"event": "stop", "stop": {"callSid": sid}})
            t0 = time.time()
            ok = await call.until(lambda: fake.closed, timeout=3)
            return ok, time.time() - t0

    ok, took = run(scenario())
    assert ok and took < 1.0, took


@pytest.mark.allow_log_errors
def test_openai_unreachable_hands_the_call_to_the_built_in_engine(httpd_factory, pg, tmp_path):
    key = tmp_path / "openai.key"
    key.write_text("sk-test\n")
    web = realtime_ready(httpd_factory(f"CortanaOpenAIKeyFile {key}\n"
                                       "CortanaOpenAIRealtimeURL ws://127.0.0.1:9/v1/realtime"))
    bid, number, sid, twiml = answer(web, pg)
    assert "<Connect>" in twiml

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            return await call.until(lambda: call.closed, timeout=5)

    assert run(scenario()), "the stream stayed open without OpenAI"
    # the worker now reports OpenAI unhealthy: the next call gets the built-in engine
    deadline = time.time() + 5
    while time.time() < deadline:
        _, _, _, twiml2 = answer(web, pg)
        if "<Connect>" not in twiml2:
            break
        time.sleep(0.3)
    assert "<Gather" in twiml2 and "<Connect>" not in twiml2


def replayed(fake, conn):
    """(role, text) of the conversation items a connection was given."""
    out = []
    for e in fake.events("conversation.item.create", conn=conn):
        item = e["item"]
        if item.get("type") == "message":
            out.append((item["role"], item["content"][0]["text"]))
    return out


def test_a_dropped_session_is_reopened_with_the_conversation_replayed(web, pg, fake):
    fake.utterances = ["my name is Dana and my sink leaks", "thanks"]
    fake.drop_after_responses = 2  # the greeting, the first reply: then the socket drops
    bid, number, sid, twiml = answer(web, pg)

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            assert await call.until(lambda: sum(map(len, call.media)) >= 1120)
            await call.say(frames=12, silence=8)
            assert await call.until(lambda: len(fake.handshakes) >= 2), "no second session"
            assert await call.until(lambda: fake.events("session.update", conn=2))
            assert await call.until(lambda: replayed(fake, 2))
            heard = sum(map(len, call.media))
            await call.say(frames=12, silence=8)  # the caller goes on: the new session hears
            assert await call.until(lambda: sum(map(len, call.media)) > heard + 1000)
            assert not call.closed, "the call left the realtime engine"
            return call

    run(scenario())
    lines = replayed(fake, 2)
    assert ("user", "my name is Dana and my sink leaks") in lines
    assert any(role == "assistant" and "fake model" in text for role, text in lines)
    creates = [e for e in fake.events("response.create", conn=2)]
    assert creates and "without greeting again" in creates[0]["response"]["instructions"]
    # the new session heard the caller's next words
    assert fake.events("input_audio_buffer.append", conn=2)
    assert ("caller", "thanks") in db_lines(pg, sid)


def test_a_drop_right_after_a_harmless_error_is_still_reopened(web, pg, fake):
    # A barge-in racing the end of a response makes OpenAI answer the cancel with
    # response_cancel_not_active, and the session goes on. Every error event was
    # taken as the one that ended the session, so a drop within 2 s of it handed
    # the call to the built-in engine instead of reopening the session.
    fake.utterances = ["my sink leaks", "thanks"]
    fake.drop_at_turn = 1
    fake.harmless_error = True
    bid, number, sid, twiml = answer(web, pg)

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            assert await call.until(lambda: sum(map(len, call.media)) >= 1000)
            await call.say(frames=12, silence=8)
            assert await call.until(lambda: len(fake.handshakes) >= 2, timeout=10), \
                "the session was not reopened after the drop"
            assert await call.until(lambda: replayed(fake, 2))
            assert not call.closed, "the call left the realtime engine"

    run(scenario())
    assert fake.dropped == [1], fake.dropped


def memory_holds(pid, needle):
    """How many times `needle` is in the writable memory of process `pid`."""
    found = 0
    with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            fields = line.split()
            if "w" not in fields[1] or (len(fields) > 5 and fields[5].startswith("[v")):
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            try:
                mem.seek(start)
                found += mem.read(end - start).count(needle)
            except (OSError, ValueError, OverflowError):
                pass
    return found


def test_the_twilio_token_and_database_password_are_wiped_from_the_workers_environment(
        web_twilio, pg, fake, twilio):
    # The worker gets Twilio's auth token (texts, call updates) and the database's
    # conninfo, which holds its password, in its environment, and read them with
    # getenv for its whole life: both stayed readable in /proc/PID/environ to
    # anything running as the httpd user, and in every core dump.
    import conftest
    web = web_twilio
    pid = worker_stats(web)["pid"]
    with open(f"/proc/{pid}/environ", "rb") as f:
        env = f.read()
    token = conftest.TWILIO_AUTH_TOKEN.encode()
    assert token not in env, "Twilio's auth token is in /proc/PID/environ"
    assert pg.app_password.encode() not in env, "the database password is in /proc/PID/environ"
    for entry in env.split(b"\0"):
        for name in (b"CORTANA_TWILIO_AUTH_TOKEN=", b"CORTANA_DATABASE="):
            assert not entry.startswith(name) or entry == name, entry[:len(name) + 4]
    # the worker still texts, updates calls and logs them with its own copies
    bid, number, sid, twiml = answer(web, pg, owner_phone="+13125550199")
    realtime_tool_call(web, pg, fake, "can I talk to a person",
                       [("transfer_to_human", {"reason": "asked for a person"})],
                       sid_twiml=(bid, number, sid, twiml))
    assert [u for u in twilio.call_updates if u["call_sid"] == sid]
    assert pg.query("SELECT 1 FROM call_logs WHERE call_sid = %s", (sid,))


def test_a_message_cut_off_by_a_drop_spoils_nothing_of_the_next_session(web, pg, fake):
    # OpenAI's socket breaks halfway through a large message. The half already
    # joined stayed in the call's reassembly buffer, and the reopened session's
    # first large message (received in pieces) was appended to it: read as the
    # dead message's type, not JSON, lost — the reply's first audio never played.
    fake.drop_at_turn = 1
    fake.cut_mid_message = True
    fake.greeting_bytes = fake.reply_bytes = 16000  # 8000-byte deltas: > lws's 8 KiB buffer
    fake.delta_bytes = 8000
    bid, number, sid, twiml = answer(web, pg)

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            assert await call.until(lambda: sum(map(len, call.media)) >= 16000)
            await asyncio.sleep(0.3)
            heard = sum(map(len, call.media))
            await call.say(frames=8, silence=8)
            assert await call.until(lambda: fake.events("response.create", conn=2), timeout=10)
            await call.until(lambda: sum(map(len, call.media)) >= heard + 16000, timeout=5)
            await asyncio.sleep(0.3)
            return sum(map(len, call.media)) - heard

    after = run(scenario())
    assert fake.dropped == [1], fake.dropped
    assert after >= 16000, f"{after} bytes of the reply after the drop reached the caller"
    spoilt = [line for line in web.error_log().splitlines() if sid in line and "not JSON" in line]
    assert spoilt == [], spoilt


def test_the_api_keys_bearer_header_is_not_kept_per_connection(web, pg, fake):
    # STYLE.md: secrets are wiped. The Authorization header's "Bearer <key>" was
    # copied into the call's pool on every connect and reconnect and left there
    # for the call's life (and in its freed memory after).
    fake.utterances = ["my sink leaks", "thanks"]
    fake.drop_after_responses = 2  # the greeting, the first reply: then a reconnect
    bid, number, sid, twiml = answer(web, pg)
    pid = worker_stats(web)["pid"]

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            assert await call.until(lambda: sum(map(len, call.media)) >= 1120)
            await call.say(frames=12, silence=8)
            assert await call.until(lambda: fake.events("session.update", conn=2))
            await asyncio.sleep(0.3)
            return memory_holds(pid, b"Bearer sk-test-0123456789")

    copies = run(scenario())
    assert len(fake.handshakes) == 2
    # lws builds each handshake in its own service buffer, which the next read
    # overwrites; no copy of ours may remain
    assert copies <= 1, f"{copies} copies of the Bearer header in the worker's memory"


def test_a_session_that_cannot_be_reopened_hands_the_call_to_the_built_in_engine(
        web, pg, fake):
    fake.utterances = ["hello there"]
    fake.drop_after_responses = 2
    fake.refuse_from = 2  # the reconnect is refused
    bid, number, sid, twiml = answer(web, pg)

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            assert await call.until(lambda: sum(map(len, call.media)) >= 1120)
            await call.say(frames=12, silence=8)
            return await call.until(lambda: call.closed, timeout=15)

    assert run(scenario()), "the stream stayed open without OpenAI"
    assert fake.refused >= 1


def test_openai_slower_than_3_s_hands_the_call_to_the_built_in_engine(web, pg, fake):
    fake.session_delay_ms = 6000
    bid, number, sid, twiml = answer(web, pg)

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            started = time.time()
            closed = await call.until(lambda: call.closed, timeout=8)
            return closed, time.time() - started

    closed, took = run(scenario())
    assert closed, "the stream waited for OpenAI beyond 3 s"
    assert took < 6, took  # before the fake would have answered: the 3 s deadline did it


def test_a_session_is_renewed_before_its_maximum_without_losing_the_call(
        httpd_factory, pg, fake, tmp_path):
    web = realtime_httpd(httpd_factory, fake, tmp_path, "CortanaOpenAISessionMax 5")
    fake.utterances = ["do you fix water heaters"]
    bid, number, sid, twiml = answer(web, pg)

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            await call.until(lambda: sum(map(len, call.media)) >= 1120)
            await call.say(frames=12, silence=8)
            assert await call.until(lambda: len(db_lines(pg, sid)) >= 2)
            assert await call.until(lambda: len(fake.handshakes) >= 2, timeout=12), \
                "no renewal"
            assert await call.until(lambda: replayed(fake, 2))
            assert not call.closed
            return call

    run(scenario())
    assert 1 in fake.closed  # the old session was closed by the worker
    assert ("user", "do you fix water heaters") in replayed(fake, 2)


def test_transfer_to_human_redirects_the_live_call_to_the_owner(httpd_factory, pg, fake, tmp_path):
    from fake_twilio import FakeTwilio
    from test_calls import ACCOUNT_SID, TOKEN
    twilio = FakeTwilio(ACCOUNT_SID, TOKEN).start()
    try:
        key = tmp_path / "openai.key"
        key.write_text("sk-test\n")
        web = realtime_ready(httpd_factory(
            f"CortanaOpenAIKeyFile {key}\nCortanaOpenAIRealtimeURL {fake.url}\n"
            f"CortanaTwilioAccountSID {ACCOUNT_SID}\nCortanaTwilioAPIBase {twilio.url}\n"))
        bid, number, sid, twiml = answer(web, pg, owner_phone="+13125550199")
        fake.utterances = ["can I talk to a person"]
        fake.tool_calls = {"person": [("transfer_to_human", {"reason": "asked for a person"})]}

        async def scenario():
            async with TwilioStream(web, sid, token_of(twiml)) as call:
                assert await call.until(lambda: fake.events("session.update"))
                await asyncio.sleep(0.2)
                await call.say(frames=8, silence=8)
                return await call.until(lambda: fake.events("conversation.item.create"),
                                        timeout=10)

        assert run(scenario())
        update = [u for u in twilio.call_updates if u["call_sid"] == sid]
        assert update and "<Dial" in update[0]["Twiml"] and "+13125550199" in update[0]["Twiml"]
        output = json.loads(fake.events("conversation.item.create")[0]["item"]["output"])
        assert output["ok"] is True
        (disposition,) = pg.query("SELECT disposition FROM call_logs WHERE call_sid = %s",
                                  (sid,))[0]
        assert disposition == "transferred"
    finally:
        twilio.stop()


@pytest.fixture
def tls_fake():
    cert, key = stack.self_signed_cert()
    f = FakeRealtime().start(tls=(str(cert), str(key)))
    f.cert = cert
    yield f
    f.stop()
    import shutil
    shutil.rmtree(cert.parent, ignore_errors=True)


def test_wss_to_openai_is_verified_against_the_configured_ca(tls_fake, httpd_factory, pg,
                                                             tmp_path):
    # tls_fake first: its certificate outlives httpd, whose `-k stop` reads the config
    web = realtime_httpd(httpd_factory, tls_fake, tmp_path, f"CortanaOpenAICAFile {tls_fake.cert}")
    assert tls_fake.url.startswith("wss://")
    sid, call = relay_both_ways(web, pg, tls_fake)
    assert tls_fake.events("session.update") and call.media


def test_wss_to_an_untrusted_openai_is_refused_and_the_call_goes_on_built_in(
        tls_fake, httpd_factory, pg, tmp_path):
    # no CortanaOpenAICAFile: the system's store does not know the fake's certificate
    key = tmp_path / "openai.key"
    key.write_text("sk-test\n")
    web = httpd_factory(f"CortanaOpenAIKeyFile {key}\nCortanaOpenAIRealtimeURL {tls_fake.url}")
    bid, number, sid, twiml = answer(web, pg)
    if "<Connect>" in twiml:
        async def scenario():
            async with TwilioStream(web, sid, token_of(twiml)) as call:
                return await call.until(lambda: call.closed, timeout=6)
        assert run(scenario()), "the stream went on with an unverified OpenAI"
    assert not tls_fake.handshakes, "the worker talked to a server it could not verify"


def test_the_control_socket_lists_live_calls_and_hangs_one_up(httpd_factory, pg, fake,
                                                               tmp_path):
    from fake_twilio import FakeTwilio
    from test_calls import ACCOUNT_SID, TOKEN
    twilio = FakeTwilio(ACCOUNT_SID, TOKEN).start()
    try:
        web = realtime_httpd(httpd_factory, fake, tmp_path,
                             f"CortanaTwilioAccountSID {ACCOUNT_SID}\n"
                             f"CortanaTwilioAPIBase {twilio.url}")
        bid, number, sid, twiml = answer(web, pg)

        async def scenario():
            async with TwilioStream(web, sid, token_of(twiml)) as call:
                assert await call.until(lambda: sum(map(len, call.media)) >= 1120)
                await call.say(frames=5, silence=0)
                listed = control(web, {"cmd": "calls"})
                assert control(web, {"cmd": "hangup", "call_sid": "CA" + "9" * 32}) == {
                    "ok": False, "error": "no such call"}
                hung = control(web, {"cmd": "hangup", "call_sid": sid})
                assert await call.until(lambda: any(u["call_sid"] == sid
                                                    for u in twilio.call_updates))
                return listed, hung

        listed, hung = run(scenario())
        assert listed["ok"] is True
        (mine,) = [c for c in listed["calls"] if c["call_sid"] == sid]
        assert mine["business_id"] == bid and mine["state"] == "live"
        assert mine["frames_in"] >= 5 and mine["stream_sid"].startswith("MZ")
        assert hung == {"ok": True, "call_sid": sid}
        update = [u for u in twilio.call_updates if u["call_sid"] == sid][0]
        assert update["Twiml"] == "<Response><Hangup/></Response>"
        stats = worker_stats(web)
        assert stats["frames_in"] >= 5 and len(stats["turn_latency"]) == 8
    finally:
        twilio.stop()


def test_the_session_is_warm_before_twilio_connects_the_stream(web, pg, fake):
    bid, number, sid, twiml = answer(web, pg)
    # /twilio/voice asked the worker to open the session: it is set up while
    # Twilio still plays the greeting, before any stream exists
    assert fake.wait_for(lambda: fake.events("session.update"), timeout=5), "not prewarmed"
    assert fake.events("response.create") == []  # the model waits for the caller's stream

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            t0 = time.time()
            assert await call.until(lambda: call.media, timeout=5)
            return call, time.time() - t0

    call, first_audio_s = run(scenario())
    assert len(fake.handshakes) == 1, "the stream opened a second session"
    assert len(fake.events("response.create")) == 1
    assert first_audio_s < 1.0, first_audio_s


def realtime_tool_call(web, pg, fake, utterance, calls, sid_twiml=None):
    """A call whose caller says `utterance`, to which the model answers with
    the tool calls `calls`; returns the call's SID once every output is back."""
    bid, number, sid, twiml = sid_twiml or answer(web, pg)
    fake.utterances = [utterance]
    fake.tool_calls = {utterance.split()[-1].lower(): calls}

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            assert await call.until(lambda: fake.events("session.update"))
            await asyncio.sleep(0.2)
            await call.say(frames=8, silence=8)
            assert await call.until(lambda: len(
                [e for e in fake.events("conversation.item.create")
                 if e["item"].get("type") == "function_call_output"]) >= len(calls), timeout=10)
            await asyncio.sleep(0.2)
            return call

    run(scenario())
    return number, sid


def test_a_message_the_model_took_is_logged_as_a_message(web, pg, fake):
    # The owner filters the call log for messages to call back: a message left
    # through the model's take_message must be there, not a 'question_answered'.
    number, sid = realtime_tool_call(
        web, pg, fake, "can you take a message",
        [("take_message", {"name": "Mo", "message": "call me back about the boiler"})])
    resp = webhook(web, "/twilio/status", call_params(sid, number, CallStatus="completed",
                                                       CallDuration="30"))
    assert resp.status == 204, resp.text
    disposition, message, summary = pg.query(
        "SELECT disposition, message, summary FROM call_logs WHERE call_sid = %s", (sid,))[0]
    assert message == "call me back about the boiler"
    assert disposition == "message_taken", (disposition, summary)
    assert "message_taken" in summary


def test_a_booking_after_a_message_is_logged_as_booked(web, pg, fake):
    # A caller who leaves a message and then books a visit: the call log says
    # what ranks highest (as ctn_dialog_disposition ranks them), a booking.
    number, sid = realtime_tool_call(
        web, pg, fake, "message first then book",
        [("take_message", {"name": "Bo", "message": "the side gate code is 4411"}),
         ("check_availability", {}),
         ("book_appointment", {"start": "$slot", "name": "Bo Booker"})])
    disposition, booked = pg.query("SELECT disposition, booked_appointment_id IS NOT NULL "
                                   "FROM call_logs WHERE call_sid = %s", (sid,))[0]
    assert booked
    assert disposition == "booked", disposition


@pytest.fixture
def twilio():
    from fake_twilio import FakeTwilio
    from test_calls import ACCOUNT_SID, TOKEN
    f = FakeTwilio(ACCOUNT_SID, TOKEN).start()
    yield f
    f.stop()


@pytest.fixture
def web_twilio(httpd_factory, fake, twilio, tmp_path):
    """The realtime engine with Twilio's REST API (transfers, hang-ups, texts)."""
    from test_calls import ACCOUNT_SID
    return realtime_httpd(httpd_factory, fake, tmp_path,
                          f"CortanaTwilioAccountSID {ACCOUNT_SID}\n"
                          f"CortanaTwilioAPIBase {twilio.url}")


def test_a_realtime_transfer_nobody_answers_takes_a_message(web_twilio, pg, fake, twilio):
    # The owner is on a job and does not pick up: the caller who asked for a person
    # must not be hung up on; /twilio/dial-status takes a message, as on the built-in engine.
    web = web_twilio
    bid, number, sid, twiml = answer(web, pg, owner_phone="+13125550199")
    realtime_tool_call(web, pg, fake, "can I talk to a person",
                       [("transfer_to_human", {"reason": "asked for a person"})],
                       sid_twiml=(bid, number, sid, twiml))
    (update,) = [u for u in twilio.call_updates if u["call_sid"] == sid]
    assert "<Dial" in update["Twiml"] and "+13125550199" in update["Twiml"]
    assert f'action="{web.public_url}/twilio/dial-status"' in update["Twiml"], update["Twiml"]
    resp = webhook(web, "/twilio/dial-status", call_params(
        sid, number, DialCallStatus="no-answer", DialCallSid=new_sid()))
    assert resp.status == 200 and "<Record" in resp.text, resp.text
    rec = {"RecordingSid": "RE" + "5" * 32, "RecordingUrl": "https://api.twilio.com/rec/9",
           "RecordingDuration": "7"}
    assert webhook(web, "/twilio/voicemail", call_params(sid, number, **rec)).status == 200
    assert webhook(web, "/twilio/status", call_params(sid, number, CallStatus="completed",
                                                       CallDuration="60")).status == 204
    (disposition,) = pg.query("SELECT disposition FROM call_logs WHERE call_sid = %s", (sid,))[0]
    assert disposition == "message_taken"


def test_a_spanish_callers_transfer_is_announced_and_followed_up_in_spanish(
        web_twilio, pg, fake, twilio):
    web = web_twilio
    bid, number, sid, twiml = answer(web, pg, owner_phone="+13125550199")
    realtime_tool_call(web, pg, fake, "Por favor, quiero hablar con una persona",
                       [("transfer_to_human", {"reason": "pidió una persona"})],
                       sid_twiml=(bid, number, sid, twiml))
    (update,) = [u for u in twilio.call_updates if u["call_sid"] == sid]
    said = re.findall(r"<Say[^>]*>([^<]*)</Say>", update["Twiml"])
    assert said and "Connecting" not in said[0], update["Twiml"]
    assert 'language="es-US"' in update["Twiml"] and "Polly.Lupe" in update["Twiml"], update
    resp = webhook(web, "/twilio/dial-status", call_params(
        sid, number, DialCallStatus="busy", DialCallSid=new_sid()))
    assert "<Record" in resp.text and 'language="es-US"' in resp.text, resp.text
    (language,) = pg.query("SELECT language FROM call_logs WHERE call_sid = %s", (sid,))[0]
    assert language == "es"


def test_after_hours_the_model_cannot_ring_the_owner_for_a_non_emergency(
        web_twilio, pg, fake, twilio):
    # The built-in engine never wakes the owner after hours for a non-emergency
    # (it takes a message); the realtime engine's transfer must not either, and
    # the model must be told the office is closed.
    from test_calls import CLOSED
    web = web_twilio
    bid, number, sid, twiml = answer(web, pg, owner_phone="+13125550199", hours=CLOSED)
    (route,) = pg.query("SELECT route FROM call_logs WHERE call_sid = %s", (sid,))[0]
    assert route == "after_hours"
    realtime_tool_call(web, pg, fake, "I want to talk to a person",
                       [("transfer_to_human", {"reason": "asked for a person"})],
                       sid_twiml=(bid, number, sid, twiml))
    assert not [u for u in twilio.call_updates if u["call_sid"] == sid], twilio.call_updates
    (out,) = [json.loads(e["item"]["output"]) for e in fake.events("conversation.item.create")
              if e["item"].get("type") == "function_call_output"]
    assert out["ok"] is False and "message" in out["error"], out
    instructions = fake.events("session.update")[0]["session"]["instructions"]
    assert "closed" in instructions.lower(), instructions


def test_end_call_hangs_up_once_the_goodbye_has_played(web_twilio, pg, fake, twilio):
    # The model says goodbye and calls end_call in one response; its audio is
    # generated faster than it plays, so hanging up at once cuts the goodbye off.
    web = web_twilio
    bid, number, sid, twiml = answer(web, pg)
    fake.utterances = ["thanks, that is all, goodbye"]
    fake.tool_calls = {"goodbye": [("end_call", {})]}
    fake.tool_speech_bytes = 8000  # a second of "Thanks for calling, goodbye!"
    state = {"ack": True, "held": []}

    def ack(n):
        return state["ack"]

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml), ack_marks=ack) as call:
            assert await call.until(lambda: sum(map(len, call.media)) >= 1120)
            await asyncio.sleep(0.3)
            state["ack"] = False  # from now on the audio is "still playing"
            first = len(call.marks)
            heard = sum(map(len, call.media))
            await call.say(frames=8, silence=8)
            assert await call.until(lambda: sum(map(len, call.media)) >= heard + 8000)
            await asyncio.sleep(1.0)
            early = [u for u in twilio.call_updates if u["call_sid"] == sid]
            for name in call.marks[first:]:  # Twilio has played it all
                await call.send({"event": "mark", "streamSid": "MZ" + "1" * 32,
                                 "mark": {"name": name}})
            assert await call.until(lambda: any(u["call_sid"] == sid
                                                for u in twilio.call_updates), timeout=5)
            return early

    early = run(scenario())
    assert early == [], "the call was hung up while the goodbye was still playing"
    (update,) = [u for u in twilio.call_updates if u["call_sid"] == sid]
    assert "<Hangup/>" in update["Twiml"]


def test_transfer_to_human_redirects_once_the_model_has_finished_speaking(
        web_twilio, pg, fake, twilio):
    # The model says "Let me connect you with the owner" and calls transfer_to_human in
    # one response; redirecting the call at once cut that sentence off, as end_call did.
    web = web_twilio
    bid, number, sid, twiml = answer(web, pg, owner_phone="+13125550199")
    fake.utterances = ["can I talk to a person"]
    fake.tool_calls = {"person": [("transfer_to_human", {"reason": "asked for a person"})]}
    fake.tool_speech_bytes = 8000  # a second of "Sure, let me connect you."
    state = {"ack": True}

    def ack(n):
        return state["ack"]

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml), ack_marks=ack) as call:
            assert await call.until(lambda: sum(map(len, call.media)) >= 1120)
            await asyncio.sleep(0.3)
            state["ack"] = False  # from now on the audio is "still playing"
            first = len(call.marks)
            heard = sum(map(len, call.media))
            await call.say(frames=8, silence=8)
            assert await call.until(lambda: sum(map(len, call.media)) >= heard + 8000)
            await asyncio.sleep(1.0)
            early = [u for u in twilio.call_updates if u["call_sid"] == sid]
            for name in call.marks[first:]:  # Twilio has played it all
                await call.send({"event": "mark", "streamSid": "MZ" + "1" * 32,
                                 "mark": {"name": name}})
            assert await call.until(lambda: any(u["call_sid"] == sid
                                                for u in twilio.call_updates), timeout=5)
            return early

    early = run(scenario())
    assert early == [], "the call was transferred while the model was still speaking"
    (update,) = [u for u in twilio.call_updates if u["call_sid"] == sid]
    assert "<Dial" in update["Twiml"] and "+13125550199" in update["Twiml"]


def system_notes(fake):
    """The text of every system note the worker gave the model."""
    return [c.get("text", "") for e in fake.events("conversation.item.create")
            if e["item"].get("role") == "system" for c in e["item"].get("content", [])]


def test_a_referee_dispatch_is_told_to_the_model_and_its_details_follow_to_the_technician(
        web, pg, fake):
    # The referee texts the technician on the caller's raw words (no address, no
    # name). The model must be told, so it says a technician was alerted and asks
    # for the address; when its dispatch_technician brings the address and name,
    # the technician gets them in one follow-up text, however often the model asks.
    bid, number, sid, twiml = answer(web, pg)
    fake.utterances = ["there is a strong gas smell in my kitchen",
                       "I am at 1420 Oak Street, Maria Lopez"]
    details = {"problem": "gas smell in the kitchen", "category": "gas_leak",
               "address": "1420 Oak Street", "name": "Maria Lopez"}
    fake.tool_calls = {"oak": [("dispatch_technician", details), ("dispatch_technician", details)]}

    def texts():
        return pg.query("SELECT s.purpose, s.to_number, s.body FROM sms_messages s JOIN call_logs c "
                        "ON c.id = s.call_log_id WHERE c.call_sid = %s ORDER BY s.created_at",
                        (sid,))

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            assert await call.until(lambda: fake.events("session.update"))
            await asyncio.sleep(0.2)
            await call.say(frames=8, silence=8)
            assert await call.until(lambda: len(texts()) == 1, timeout=10), "no dispatch"
            assert await call.until(lambda: any("technician" in n for n in system_notes(fake)),
                                    timeout=5), "the model was never told"
            await asyncio.sleep(1.0)
            await call.say(frames=8, silence=8)
            assert await call.until(lambda: len(
                [e for e in fake.events("conversation.item.create")
                 if e["item"].get("type") == "function_call_output"]) >= 2, timeout=10)
            await asyncio.sleep(0.5)

    run(scenario())
    (note,) = [n for n in system_notes(fake) if "technician" in n and "tool" not in n]
    assert "alerted" in note and "address" in note, note
    # it was said at once: a response follows the note, before the caller speaks again
    events = [e for _, e in fake.received]
    note_at = next(i for i, e in enumerate(events) if e.get("type") == "conversation.item.create"
                   and e["item"].get("role") == "system")
    turn_at = next(i for i, e in enumerate(events) if e.get("type") == "conversation.item.create"
                   and e["item"].get("type") == "function_call_output")
    assert any(e.get("type") == "response.create" for e in events[note_at:turn_at]), \
        "no response after the note"
    sent = texts()
    assert [p for p, _, _ in sent] == ["dispatch", "dispatch_update"], sent
    (_, tech, first), (_, to, update) = sent
    assert "1420 Oak Street" not in first
    assert to == tech
    assert "1420 Oak Street" in update and "Maria Lopez" in update, update
    outputs = [json.loads(e["item"]["output"]) for e in fake.events("conversation.item.create")
               if e["item"].get("type") == "function_call_output"]
    assert all(o["ok"] is True for o in outputs), outputs
    # an escalation carries the details too
    (message,) = pg.query("SELECT d.message FROM dispatches d JOIN call_logs c ON "
                          "c.id = d.call_log_id WHERE c.call_sid = %s", (sid,))[0]
    assert "1420 Oak Street" in message, message


def test_a_name_the_first_dispatch_text_lacked_follows_even_when_its_words_hold_it(
        web, pg, fake):
    # Whether the first text had the caller's name or address was a substring
    # search in the dispatch's message, which holds the business's name and the
    # caller's raw words too: a caller named Maria calling Maria's Heating never
    # had her name texted to the technician. What the dispatch texted is recorded.
    bid, number, sid, twiml = answer(web, pg, name="Maria's Heating")
    fake.utterances = ["there is a strong gas smell in my kitchen",
                       "I am at 1420 Oak Street, my name is Maria"]
    fake.tool_calls = {"oak": [("dispatch_technician", {
        "problem": "gas smell in the kitchen", "category": "gas_leak",
        "address": "1420 Oak Street", "name": "Maria"})]}

    def texts():
        return pg.query("SELECT s.purpose, s.body FROM sms_messages s JOIN call_logs c "
                        "ON c.id = s.call_log_id WHERE c.call_sid = %s ORDER BY s.created_at",
                        (sid,))

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            assert await call.until(lambda: fake.events("session.update"))
            await asyncio.sleep(0.2)
            await call.say(frames=8, silence=8)
            assert await call.until(lambda: len(texts()) == 1, timeout=10), "no dispatch"
            await asyncio.sleep(1.0)
            await call.say(frames=8, silence=8)
            assert await call.until(lambda: function_call_outputs(fake), timeout=10)
            await asyncio.sleep(0.3)

    run(scenario())
    sent = texts()
    assert [p for p, _ in sent] == ["dispatch", "dispatch_update"], sent
    assert "Maria's Heating" in sent[0][1] and "address: unknown" in sent[0][1], sent[0][1]
    update = sent[1][1]
    assert "caller Maria" in update and "1420 Oak Street" in update, update


@pytest.mark.allow_log_errors  # "emergency with no technician and no owner phone to text"
def test_a_referee_dispatch_that_reached_nobody_is_told_to_the_model(web, pg, fake):
    # Nobody on call: the model must hear that nobody could be reached, else it
    # promises a technician nobody sends.
    bid, number, sid, twiml = answer(web, pg, technicians=0, owner_phone=None)
    fake.utterances = ["there is a strong gas smell in my kitchen",
                       "the gas smell is getting worse", "it is a gas leak I think"]

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            assert await call.until(lambda: fake.events("session.update"))
            await asyncio.sleep(0.2)
            for _ in range(3):
                await call.say(frames=8, silence=8)
                await asyncio.sleep(1.0)
            assert await call.until(lambda: len(db_lines(pg, sid)) >= 6, timeout=10)

    run(scenario())
    notes = [n for n in system_notes(fake) if "911" in n]
    assert len(notes) == 1, system_notes(fake)
    assert "nobody" in notes[0].lower() and "back" in notes[0], notes[0]
    (emergency, disposition) = pg.query("SELECT emergency, disposition FROM call_logs "
                                        "WHERE call_sid = %s", (sid,))[0]
    assert emergency is True and disposition == "message_taken"


@pytest.mark.allow_log_errors  # "emergency with no technician and no owner phone to text"
def test_a_dispatch_that_was_tried_is_not_refereed_again(web, pg, fake):
    # A dispatch that reached nobody left the call 'not dispatched', so every later
    # caller line ran the referee's job again: the business, the call and the rules
    # loaded, the call log locked, a dispatch attempted anew, per line.
    bid, number, sid, twiml = answer(web, pg, technicians=0, owner_phone=None)
    fake.utterances = ["there is a strong gas smell in my kitchen",
                       "the gas smell is getting worse", "it is a gas leak I think"]

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            assert await call.until(lambda: fake.events("session.update"))
            await asyncio.sleep(0.2)
            for _ in range(3):
                await call.say(frames=8, silence=8)
                await asyncio.sleep(1.0)
            assert await call.until(lambda: len(db_lines(pg, sid)) >= 6, timeout=10)
            await asyncio.sleep(0.5)

    run(scenario())
    matched = [line for line in web.error_log().splitlines()
               if sid in line and "emergency rules matched" in line]
    assert len(matched) == 1, matched


@pytest.mark.parametrize("calls", [("transfer_to_human", "end_call"),
                                   ("end_call", "transfer_to_human")])
def test_a_transfer_and_a_hang_up_while_speech_plays_end_in_the_transfer_only(
        web_twilio, pg, fake, twilio, calls):
    # The model says "let me connect you" and calls transfer_to_human and end_call in
    # one response (it thinks it should end its part). Only one call update was held
    # for the speech to play: the second went to Twilio at once, hanging the caller up
    # mid-sentence before the transfer could ring anyone. A caller who was to be put
    # through to a person must be, whichever the model called first: one update, after
    # the speech, the transfer.
    web = web_twilio
    bid, number, sid, twiml = answer(web, pg, owner_phone="+13125550199")
    fake.utterances = ["can I talk to a person"]
    args = {"transfer_to_human": {"reason": "asked for a person"}, "end_call": {}}
    fake.tool_calls = {"person": [(name, args[name]) for name in calls]}
    fake.parallel_tool_calls = True
    fake.tool_speech_bytes = 8000  # a second of "Sure, let me connect you."
    state = {"ack": True}

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml), ack_marks=lambda n: state["ack"]) \
                as call:
            assert await call.until(lambda: sum(map(len, call.media)) >= 1120)
            await asyncio.sleep(0.3)
            state["ack"] = False  # from now on the audio is "still playing"
            first = len(call.marks)
            heard = sum(map(len, call.media))
            await call.say(frames=8, silence=8)
            assert await call.until(lambda: sum(map(len, call.media)) >= heard + 8000)
            await asyncio.sleep(1.0)
            early = [u["Twiml"] for u in twilio.call_updates if u["call_sid"] == sid]
            for name in call.marks[first:]:  # Twilio has played it all
                await call.send({"event": "mark", "streamSid": "MZ" + "1" * 32,
                                 "mark": {"name": name}})
            assert await call.until(lambda: any(u["call_sid"] == sid
                                                for u in twilio.call_updates), timeout=5)
            assert await call.until(lambda: len(
                [e for e in fake.events("conversation.item.create")
                 if e["item"].get("type") == "function_call_output"]) >= 2, timeout=5)
            await asyncio.sleep(0.5)
            return early

    early = run(scenario())
    assert early == [], f"the call was updated while the model was still speaking: {early}"
    updates = [u["Twiml"] for u in twilio.call_updates if u["call_sid"] == sid]
    assert len(updates) == 1 and "<Dial" in updates[0], updates


def test_the_workers_keys_are_wiped_from_its_environment(web, pg, fake):
    # The OpenAI key and the stream key reach the worker in its environment. unsetenv
    # only unlinks them: the strings stayed in the process's environment block, which
    # /proc/PID/environ shows to anyone running as the same user, for the worker's life.
    pid = worker_stats(web)["pid"]
    with open(f"/proc/{pid}/environ", "rb") as f:
        env = f.read()
    assert b"sk-test-0123456789" not in env, "the OpenAI key is in /proc/PID/environ"
    for entry in env.split(b"\0"):
        for name in (b"CORTANA_OPENAI_KEY=", b"CORTANA_STREAM_KEY="):
            assert not entry.startswith(name) or entry == name, entry[:len(name) + 4]
    # one copy of the key is kept, the one the worker uses
    assert memory_holds(pid, b"sk-test-0123456789") == 1


def peak_rss_kib(pid):
    """The highest resident set process `pid` has had (VmHWM), in KiB."""
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


def test_an_oversized_message_before_start_closes_the_stream_without_buffering_it(web, pg):
    # The stream socket is open to anyone through httpd's proxy, and messages are
    # joined before the start event's token is checked: one huge message (or an
    # endless fragmented one) made the worker buffer all of it, without limit.
    pid = worker_stats(web)["pid"]
    before = peak_rss_kib(pid)
    size = 16 * 1024 * 1024

    async def scenario():
        ws = await websockets.connect(f"ws://127.0.0.1:{web.port}/twilio/media", max_size=None)
        await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        try:
            await asyncio.wait_for(ws.send('{"event":"media","pad":"' + "a" * size + '"}'), 20)
        except (websockets.ConnectionClosed, OSError, asyncio.TimeoutError):
            pass
        try:
            await asyncio.wait_for(ws.wait_closed(), 10)
        except asyncio.TimeoutError:
            return None
        return ws.close_code

    code = run(scenario())
    assert code is not None, "the worker kept a stream that sent a 16 MiB message"
    grown = peak_rss_kib(pid) - before
    assert grown < size // 1024 // 4, f"the worker's peak memory grew by {grown} KiB"
    assert re.search(r"media stream closed: a message over \d+ bytes", web.error_log())
    # the worker is still there and serving
    assert worker_stats(web)["pid"] == pid


def test_an_oversized_openai_event_is_a_dropped_session_and_reopened(web, pg, fake):
    # OpenAI's socket had no limit either: a runaway event was joined whole.
    # One over the cap ends that session, which is reopened like any drop.
    fake.utterances = ["my sink leaks", "thanks"]
    fake.oversized_at_turn = 1
    bid, number, sid, twiml = answer(web, pg)

    async def scenario():
        async with TwilioStream(web, sid, token_of(twiml)) as call:
            assert await call.until(lambda: sum(map(len, call.media)) >= 1000)
            await call.say(frames=12, silence=8)
            assert await call.until(lambda: len(fake.handshakes) >= 2, timeout=15), \
                "the oversized event did not end the session"
            assert await call.until(lambda: replayed(fake, 2))
            assert not call.closed, "the call left the realtime engine"

    run(scenario())
    assert fake.oversized_sent == [1]
    assert re.search(rf"{sid}.*OpenAI Realtime sent a message over \d+ bytes", web.error_log())


def test_the_workers_usage_names_every_environment_variable_it_reads(srcdir, builddir):
    # The usage text named CORTANA_DATABASE and CORTANA_MEDIA_DEBUG only: someone
    # running the worker by hand learnt of the Twilio token, the keys and the
    # URLs it reads only from the source.
    import subprocess
    read = set()
    for c_file in (srcdir / "media").glob("*.c"):
        read |= set(re.findall(r'(?:getenv|take_secret\(m,)\s*\(?\s*"(CORTANA_[A-Z_]+)"',
                               c_file.read_text()))
    assert {"CORTANA_DATABASE", "CORTANA_TWILIO_AUTH_TOKEN", "CORTANA_OPENAI_KEY"} <= read, read
    proc = subprocess.run([str(builddir / "media" / "cortana-media"), "--no-such-option"],
                          capture_output=True, text=True, timeout=10)
    assert proc.returncode == 78
    missing = sorted(name for name in read if name not in proc.stderr)
    assert missing == [], f"not in the usage text: {missing}\n{proc.stderr}"
