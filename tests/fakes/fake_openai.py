"""A fake OpenAI Realtime server (GA events, WebSocket), for tests.

Speaks the wire format of ../shared/PROTOCOLS.md E: `session.created` on
connect, `session.updated` for `session.update`, server VAD driven by the
audio it is sent (a 20 ms frame with any byte other than 0xFF is speech;
SILENCE_FRAMES frames of 0xFF after speech end a turn), input
transcription from a script, responses made of `response.output_audio.delta`
events (base64 mu-law, paced like a real model), transcripts, function calls,
`response.cancel`, `conversation.item.truncate` (refused like OpenAI when
audio_end_ms exceeds the audio sent for the item), and one response at a time:
a `response.create` while a response is in progress (from an accepted
response.create, or server VAD's at a turn's end, until its response.done) is
refused as OpenAI refuses it (an `error` event with code
conversation_already_has_active_response; the session stays open). It records every client
event and the handshake (path, Authorization) so tests can assert on them.

    fake = FakeRealtime(); fake.start()   # fake.url -> ws://127.0.0.1:PORT/v1/realtime
    fake.utterances = ["I smell gas"]     # what the caller "says", turn by turn
    fake.tool_calls = {"book": [("check_availability", {})]}
    fake.replies = ["May I have your name?"]  # transcripts of the replies to the caller's turns
    fake.drop()                           # OpenAI goes away: every open session is cut

Failure injection and load (all off by default):

    fake.drop_at_turn = 1     # close the socket (1011) when the caller's Nth turn ends
    fake.drop_after = 2.0     # close the socket (1011) this many seconds after it opened
    fake.cut_mid_message = True  # with drop_at_turn: the connection breaks halfway through
                                 # a large message (a transcript), no close frame
    fake.oversized_at_turn = 1  # when the caller's Nth turn ends, one 5 MiB event (a
                                # transcript) instead of the turn's events; the session
                                # stays open as far as the fake is concerned
    fake.kill()               # abort every connection (no close frame) and stop listening
    fake.hang = True          # accept the WebSocket, record what comes, answer nothing
    fake.parallel_tool_calls = True  # a tool_calls list in one response, as OpenAI may
    fake.reply_delay_ms = 800 # a slow reply: its first audio this long after response.created
                              # (the greeting is not delayed)
    fake.echo = True          # no VAD: each input_audio_buffer.append comes straight back
                              # as one response.output_audio.delta of the same bytes (as
                              # ../shared/bench/fake-realtime.js does), one item per session
"""
import asyncio
import base64
import itertools
import json
import threading
import time

import websockets

SILENCE_FRAMES = 5  # 100 ms of silence ends a turn (server VAD's silence_duration_ms)


class FakeRealtime:
    # response.done's usage of every spoken reply (GA shape)
    USAGE = {"total_tokens": 120, "input_tokens": 80, "output_tokens": 40,
             "input_token_details": {"text_tokens": 20, "audio_tokens": 60, "image_tokens": 0,
                                     "cached_tokens": 10},
             "output_token_details": {"text_tokens": 10, "audio_tokens": 30}}

    def __init__(self, greeting_bytes=1000, reply_bytes=1600, delta_bytes=400, pace_ms=5):
        self.greeting_bytes = greeting_bytes
        self.reply_bytes = reply_bytes
        self.delta_bytes = delta_bytes
        self.pace_ms = pace_ms
        self.utterances = []
        self.tokens_left = 40000      # rate_limits.updated: 500 fewer per response
        self.session_delay_ms = 0   # before answering session.update (a slow upstream)
        self.session_ready_at = []  # when each session.updated went out (time.time())
        self.drop_after_responses = None  # close the socket (1011) after that many replies
        self.refuse_from = None     # refuse the handshake of connection no. >= this (503)
        self.refused = 0
        self.tool_calls = {}        # word in the utterance -> [(tool name, arguments)]
        self.replies = []           # transcripts of the replies after caller turns, in order
        self.late_deltas = 2        # deltas still sent after response.cancel (in flight)
        self.received = []          # (connection no, event dict) in order
        self.handshakes = []        # {"path", "authorization"}
        self.closed = []            # connection numbers that closed
        self.errors_sent = []
        self._open = set()          # the sessions' sockets, for drop()
        self.drop_at_turn = None
        self.fatal_error = False    # with drop_at_turn: an error event, then the close
        self.harmless_error = False  # with drop_at_turn: a response_cancel_not_active error
                                     # (a barge-in racing a response's end), then the close
        self.oversized_at_turn = None
        self.oversized_sent = []    # connection numbers an oversized event went to
        self.cut_mid_message = False  # with drop_at_turn: half a message, then the break
        self.drop_after = None
        self.drop_after_tool_call = False  # close the socket right after asking for a tool
        self.tool_speech_bytes = 0  # audio the model says in the response that calls a tool
        self.parallel_tool_calls = False  # every call of a tool_calls list in one response
        self.reply_delay_ms = 0     # replies to the caller: response.created, then this wait
        self.echo = False
        self.hang = False
        self.dropped = []           # connection numbers the fake closed on purpose
        self._live = {}             # connection number -> ws
        self._ids = itertools.count(1)
        self._loop = None
        self.port = None
        self.scheme = "ws"

    # ---------------------------------------------------------------- control
    def start(self, tls=None):
        """tls: (certfile, keyfile) to serve wss:// as OpenAI does."""
        ready = threading.Event()
        ssl_context = None
        if tls:
            import ssl
            ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ssl_context.load_cert_chain(*tls)
        self.scheme = "wss" if tls else "ws"

        def run():
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            server = self._loop.run_until_complete(
                websockets.serve(self._session, "127.0.0.1", 0, max_size=None,
                                 process_request=self._admit, ssl=ssl_context))
            self.port = server.sockets[0].getsockname()[1]
            self._server = server
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        ready.wait(5)
        return self

    def stop(self):
        if self._loop:
            async def shutdown():
                self._server.close()
                await self._server.wait_closed()
                others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
                for task in others:
                    task.cancel()
                await asyncio.gather(*others, return_exceptions=True)
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)

    def drop(self, refuse=True):
        """OpenAI goes away mid-call: every open session's connection is cut
        without a closing handshake, as when its server dies; with `refuse`,
        the worker's reconnections are refused too (it stays down)."""
        if refuse:
            self.refuse_from = 1

        def cut():
            for ws in list(self._open):
                ws.transport.abort()
        self._loop.call_soon_threadsafe(cut)

    def kill(self):
        """Like the server process dying: every connection is aborted without a
        close frame and nothing listens on the port any more."""
        async def abort_all():
            self._server.close()
            for ws in list(self._live.values()):
                ws.transport.abort()
        asyncio.run_coroutine_threadsafe(abort_all(), self._loop).result(5)

    @property
    def url(self):
        return f"{self.scheme}://127.0.0.1:{self.port}/v1/realtime"

    def events(self, type_=None, conn=None):
        return [e for n, e in list(self.received)
                if (type_ is None or e.get("type") == type_) and (conn is None or n == conn)]

    def wait_for(self, predicate, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate():
                return True
            time.sleep(0.02)
        return False

    # ---------------------------------------------------------------- session
    def _conn_of(self, ws):
        return next((n for n, w in self._live.items() if w is ws), None)

    def _id(self, prefix):
        return f"{prefix}_{next(self._ids):04d}"

    async def _admit(self, path, headers):
        if self.refuse_from is not None and len(self.handshakes) + 1 >= self.refuse_from:
            self.refused += 1
            return (503, [("Content-Type", "application/json")],
                    b'{"error":{"type":"server_error","message":"overloaded"}}')
        return None

    async def _session(self, ws, path=None):
        conn_no = len(self.handshakes) + 1
        headers = ws.request_headers
        self.handshakes.append({"path": ws.path, "authorization": headers.get("Authorization")})
        state = {"speech": False, "silence": 0, "item": None, "response": None,
                 "cancelled": set(), "sent": {}, "turn": 0, "task": None,
                 "active": None}  # the response in progress, from its creation to its done
        self._open.add(ws)
        self._live[conn_no] = ws
        if self.drop_after is not None:
            state["dropper"] = asyncio.ensure_future(self._drop_later(ws, conn_no))
        hang = self.hang
        if not hang:
            await self._send(ws, {"type": "session.created", "session": {"type": "realtime"}})
        try:
            async for raw in ws:
                event = json.loads(raw)
                self.received.append((conn_no, event))
                if not hang:
                    await self._on_event(ws, state, event)
        except websockets.ConnectionClosed:
            pass
        finally:
            self._open.discard(ws)
            if state.get("dropper"):
                state["dropper"].cancel()
            self._live.pop(conn_no, None)
            self.closed.append(conn_no)

    async def _drop(self, ws, conn_no):
        self.dropped.append(conn_no)
        await ws.close(code=1011, reason="fake: dropped")

    async def _cut(self, ws, conn_no):
        """The connection breaks with a message half sent: the frame's header
        promises its whole length, half of it comes, then nothing (no close)."""
        self.dropped.append(conn_no)
        body = json.dumps({"type": "response.output_audio_transcript.done",
                           "event_id": self._id("event"), "response_id": self._id("resp"),
                           "item_id": self._id("item"), "output_index": 0, "content_index": 0,
                           "transcript": "word " * 4000}).encode()
        header = bytes([0x81, 127]) + len(body).to_bytes(8, "big")  # text, final, unmasked
        ws.transport.write(header + body[:len(body) // 2])
        await asyncio.sleep(0.1)
        ws.transport.abort()

    async def _drop_later(self, ws, conn_no):
        await asyncio.sleep(self.drop_after)
        await self._drop(ws, conn_no)

    async def _send(self, ws, event):
        event.setdefault("event_id", self._id("event"))
        try:
            await ws.send(json.dumps(event))
        except websockets.ConnectionClosed:
            pass  # the relay hung up mid-response, as it may

    async def _on_event(self, ws, st, ev):
        kind = ev.get("type")
        if kind == "session.update":
            if self.session_delay_ms:
                await asyncio.sleep(self.session_delay_ms / 1000)
            self.session_ready_at.append(time.time())
            await self._send(ws, {"type": "session.updated", "session": ev.get("session", {})})
        elif kind == "response.create":
            if st["active"]:
                # what OpenAI answers: one response at a time per conversation
                err = {"type": "error", "error": {
                    "type": "invalid_request_error",
                    "code": "conversation_already_has_active_response",
                    "message": f"Conversation already has an active response in progress: "
                               f"{st['active']}. Wait until the response is finished before "
                               "creating a new one.", "param": None,
                    "event_id": ev.get("event_id")}}
                self.errors_sent.append(err)
                await self._send(ws, err)
                return
            resp = st["active"] = self._id("resp")
            if st.get("pending_calls"):
                calls, st["pending_calls"] = st["pending_calls"], []
                st["task"] = asyncio.ensure_future(self._function_calls(ws, st, calls, resp))
            else:
                st["task"] = asyncio.ensure_future(self._respond(
                    ws, st, self.greeting_bytes if st["turn"] == 0 else self.reply_bytes, resp))
        elif kind == "conversation.item.create":
            item = ev.get("item", {})
            if item.get("type") == "function_call_output":
                if item.get("call_id") not in st.setdefault("call_ids", set()):
                    # what OpenAI answers for a call this conversation never made
                    err = {"type": "error", "error": {
                        "type": "invalid_request_error", "code": "invalid_value",
                        "message": f"Tool call ID '{item.get('call_id')}' not found in "
                                   "conversation.", "param": "item.call_id"}}
                    self.errors_sent.append(err)
                    await self._send(ws, err)
                    return
                st["last_output"] = json.loads(item.get("output") or "{}")
        elif kind == "input_audio_buffer.append":
            if self.echo:
                await self._echo(ws, st, ev["audio"])
            else:
                await self._vad(ws, st, base64.b64decode(ev["audio"]))
        elif kind == "response.cancel":
            if st["response"]:
                st["cancelled"].add(st["response"])
        elif kind == "conversation.item.truncate":
            sent_ms = st["sent"].get(ev.get("item_id"), 0) // 8
            if ev.get("audio_end_ms", 0) > sent_ms:
                err = {"type": "error", "error": {"type": "invalid_request_error",
                       "code": "invalid_value", "message": "audio_end_ms is longer than the audio",
                       "param": "audio_end_ms"}}
                self.errors_sent.append(err)
                await self._send(ws, err)
            else:
                await self._send(ws, {"type": "conversation.item.truncated",
                                      "item_id": ev.get("item_id"), "content_index": 0,
                                      "audio_end_ms": ev.get("audio_end_ms")})

    async def _echo(self, ws, st, audio_b64):
        if "echo_item" not in st:
            st["echo_item"], st["echo_resp"] = self._id("item"), self._id("resp")
        await self._send(ws, {"type": "response.output_audio.delta",
                              "response_id": st["echo_resp"], "item_id": st["echo_item"],
                              "output_index": 0, "content_index": 0, "delta": audio_b64})

    async def _vad(self, ws, st, audio):
        speech = any(b != 0xFF for b in audio)
        if speech and not st["speech"]:
            st["speech"], st["silence"] = True, 0
            st["item"] = self._id("item")
            await self._send(ws, {"type": "input_audio_buffer.speech_started",
                                  "audio_start_ms": 0, "item_id": st["item"]})
        elif not speech and st["speech"]:
            st["silence"] += len(audio)  # appends may carry several 20 ms frames
            if st["silence"] >= SILENCE_FRAMES * 160:
                st["speech"] = False
                await self._end_turn(ws, st)

    async def _end_turn(self, ws, st):
        item = st["item"]
        if self.oversized_at_turn is not None and st["turn"] + 1 == self.oversized_at_turn:
            self.oversized_at_turn = None
            self.oversized_sent.append(self._conn_of(ws))
            await self._send(ws, {"type": "response.output_audio_transcript.done",
                                  "response_id": self._id("resp"), "item_id": item,
                                  "output_index": 0, "content_index": 0,
                                  "transcript": "word " * (1024 * 1024)})
            return
        if self.drop_at_turn is not None and st["turn"] + 1 >= self.drop_at_turn:
            if self.fatal_error:  # what OpenAI does when it ends a session on an error
                await self._send(ws, {"type": "error", "error": {
                    "type": "insufficient_quota", "code": "insufficient_quota",
                    "message": "You exceeded your current quota.", "param": None}})
            if self.harmless_error:  # OpenAI's answer to a late response.cancel
                await self._send(ws, {"type": "error", "error": {
                    "type": "invalid_request_error", "code": "response_cancel_not_active",
                    "message": "Cancellation failed: no active response found", "param": None}})
            if self.cut_mid_message:
                await self._cut(ws, self._conn_of(ws))
                return
            await self._drop(ws, self._conn_of(ws))
            return
        await self._send(ws, {"type": "input_audio_buffer.speech_stopped", "audio_end_ms": 0,
                              "item_id": item})
        await self._send(ws, {"type": "input_audio_buffer.committed", "item_id": item,
                              "previous_item_id": None})
        text = self.utterances.pop(0) if self.utterances else "hello"
        st["turn"] += 1
        await self._send(ws, {"type": "conversation.item.input_audio_transcription.completed",
                              "item_id": item, "content_index": 0, "transcript": text})
        calls = next((v for k, v in self.tool_calls.items() if k in text.lower()), None)
        resp = st["active"] = self._id("resp")  # server VAD's response for the turn
        if calls:
            st["task"] = asyncio.ensure_future(self._function_calls(ws, st, list(calls), resp))
        else:
            st["task"] = asyncio.ensure_future(self._respond(ws, st, self.reply_bytes, resp))

    def _response_done(self, st, resp):
        if st["active"] == resp:
            st["active"] = None

    async def _function_calls(self, ws, st, calls, resp):
        batch = calls if self.parallel_tool_calls else calls[:1]
        await self._send(ws, {"type": "response.created",
                              "response": {"id": resp, "status": "in_progress"}})
        if self.tool_speech_bytes:  # e.g. a goodbye, then end_call, in one response
            said = self._id("item")
            for sent in range(0, self.tool_speech_bytes, self.delta_bytes):
                n = min(self.delta_bytes, self.tool_speech_bytes - sent)
                await self._send(ws, {"type": "response.output_audio.delta", "response_id": resp,
                                      "item_id": said, "output_index": 0, "content_index": 0,
                                      "delta": base64.b64encode(bytes([0x20]) * n).decode()})
            await self._send(ws, {"type": "response.output_audio.done", "response_id": resp,
                                  "item_id": said, "output_index": 0, "content_index": 0})
        for index, (name, args) in enumerate(batch):
            # "$slot" in an argument: the first slot the last tool output offered
            out = st.get("last_output") or {}
            args = {k: (out.get("slots") or [{}])[0].get("start") if v == "$slot" else v
                    for k, v in args.items()}
            item, call_id = self._id("item"), self._id("call")
            st.setdefault("call_ids", set()).add(call_id)
            await self._send(ws, {"type": "response.output_item.added", "response_id": resp,
                                  "output_index": index,
                                  "item": {"id": item, "type": "function_call",
                                           "call_id": call_id, "name": name}})
            await self._send(ws, {"type": "response.function_call_arguments.done",
                                  "response_id": resp, "item_id": item, "output_index": index,
                                  "call_id": call_id, "name": name,
                                  "arguments": json.dumps(args)})
        st["pending_calls"] = calls[len(batch):]
        self._response_done(st, resp)
        await self._send(ws, {"type": "response.done", "response": {"id": resp,
                              "status": "completed", "output": []}})
        if self.drop_after_tool_call:
            self.drop_after_tool_call = False
            await self._drop(ws, self._conn_of(ws))

    def _reply_text(self, st):
        if st["turn"] > 0 and self.replies:
            return self.replies.pop(0)
        return f"Reply {st['turn']} from the fake model."

    async def _respond(self, ws, st, nbytes, resp):
        item = self._id("item")
        st["response"] = resp
        st["sent"][item] = 0
        await self._send(ws, {"type": "response.created",
                              "response": {"id": resp, "status": "in_progress"}})
        self.tokens_left -= 500  # what OpenAI reports at the start of each response
        await self._send(ws, {"type": "rate_limits.updated", "rate_limits": [
            {"name": "requests", "limit": 5000, "remaining": 4999, "reset_seconds": 0.012},
            {"name": "tokens", "limit": 40000, "remaining": self.tokens_left,
             "reset_seconds": 1.5}]})
        await self._send(ws, {"type": "response.output_item.added", "response_id": resp,
                              "output_index": 0, "item": {"id": item, "type": "message",
                                                          "role": "assistant"}})
        if self.reply_delay_ms and st["turn"] > 0:
            await asyncio.sleep(self.reply_delay_ms / 1000)
        late = self.late_deltas
        sent = 0
        while sent < nbytes:
            if resp in st["cancelled"]:
                if late <= 0:
                    break
                late -= 1
            n = min(self.delta_bytes, nbytes - sent)
            audio = bytes([0x10 + (sent // self.delta_bytes) % 64]) * n
            await self._send(ws, {"type": "response.output_audio.delta", "response_id": resp,
                                  "item_id": item, "output_index": 0, "content_index": 0,
                                  "delta": base64.b64encode(audio).decode()})
            sent += n
            st["sent"][item] = sent
            await asyncio.sleep(self.pace_ms / 1000)
        status = "cancelled" if resp in st["cancelled"] else "completed"
        if status == "completed":
            await self._send(ws, {"type": "response.output_audio.done", "response_id": resp,
                                  "item_id": item, "output_index": 0, "content_index": 0})
            await self._send(ws, {"type": "response.output_audio_transcript.done",
                                  "response_id": resp, "item_id": item, "output_index": 0,
                                  "content_index": 0,
                                  "transcript": self._reply_text(st)})
        st["response"] = None
        self._response_done(st, resp)
        await self._send(ws, {"type": "response.done", "response": {
            "id": resp, "status": status, "output": [], "usage": self.USAGE}})
        st["responses"] = st.get("responses", 0) + 1
        if self.drop_after_responses is not None and st["responses"] >= self.drop_after_responses:
            await ws.close(code=1011, reason="the fake dropped the session")
