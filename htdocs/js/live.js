// live.js: the owner's live feed (GET /api/transcripts, Server-Sent Events)
// that stays connected. EventSource reconnects by itself after a dropped
// stream, but gives up for good on a non-200 answer (httpd restarting, a
// 503 while the database is away): then we open a new one after a growing
// pause, resuming from the last event id (?last_event_id=, the feed's only
// parameter). A session that has ended is noticed through /api/me, whose
// 401 takes the shell to log-in.
import { get } from "./api.js";

const PAUSES_MS = [1000, 2000, 5000, 10000, 30000];

// handlers: { "call.started": fn(data), transcript: fn(data), … }.
// Returns close(), which stops the feed and any pending reconnection.
export function liveFeed(handlers) {
  let source = null, timer = null, closed = false, failures = 0, lastId = null;

  function open() {
    source = new EventSource(lastId ? `/api/transcripts?last_event_id=${encodeURIComponent(lastId)}`
                                    : "/api/transcripts");
    source.addEventListener("open", () => { failures = 0; });
    for (const [type, fn] of Object.entries(handlers)) {
      source.addEventListener(type, (ev) => {
        if (ev.lastEventId) lastId = ev.lastEventId;
        fn(JSON.parse(ev.data));
      });
    }
    source.addEventListener("error", () => {
      if (closed || source.readyState !== EventSource.CLOSED) return; // the browser retries itself
      source.close();
      const pause = PAUSES_MS[Math.min(failures++, PAUSES_MS.length - 1)];
      timer = setTimeout(async () => {
        try {
          await get("/me");
        } catch (e) {
          if (e.status === 401) return; // logged out: the shell is going to log-in
        }
        if (!closed) open();
      }, pause);
    });
  }
  open();
  return () => {
    closed = true;
    clearTimeout(timer);
    if (source) source.close();
  };
}
