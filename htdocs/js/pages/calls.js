// calls.js: the Calls page — calls in progress, live over SSE
// (/api/transcripts through live.js, which keeps the feed connected; after a
// reconnection the server may replay recent calls, merged here by call id and line seq),
// the call log with filters and paging, and one call's detail (#/calls/<id>).
import { del, get, post } from "../api.js";
import { go } from "../app.js";
import { t } from "../i18n.js";
import { liveFeed } from "../live.js";
import { button, card, confirmAction, disposition, duration, field, h, panel, select, showError, toast,
  when } from "../ui.js";

const DISPOSITIONS = ["emergency_dispatched", "booked", "message_taken", "question_answered",
                      "transferred", "spam", "abandoned"];

function line(l) {
  return h("div", { class: `line ${l.speaker}`, "data-seq": l.seq },
    h("span", { class: "sr-only" }, `${t(`speaker.${l.speaker}`)}: `), l.text);
}

// ------------------------------------------------------------ live panel
function livePanel() {
  const list = h("div", { class: "grid two", id: "live-calls" });
  const empty = h("p", { class: "dim", id: "live-empty" }, t("calls.nolive"));
  const calls = new Map();

  function callCard(id, data) {
    let c = calls.get(id);
    if (c) return c;
    const badges = h("span", { class: "row shrink" });
    const lines = h("div", { class: "transcript", "aria-live": "polite" });
    const el = card({ "data-call": id }, h("div", { class: "row" },
      h("strong", {}, data.from || data.call_sid || ""), badges), lines);
    c = { el, lines, badges, seqs: new Set(), ended: false };
    calls.set(id, c);
    list.prepend(el);
    empty.remove();
    return c;
  }

  function setBadges(c, d) {
    const b = [h("span", { class: "badge live" }, c.ended ? t("calls.ended") : t("calls.live"))];
    if (d.language) c.language = d.language;
    if (d.emergency) c.emergency = true;
    if (c.language) b.push(h("span", { class: "badge" }, c.language.toUpperCase()));
    if (d.engine) c.engine = d.engine;
    if (c.engine) {
      const name = t(`engine.${c.engine}`);
      b.push(h("span", { class: "badge" }, name === `engine.${c.engine}` ? c.engine : name));
    }
    if (c.emergency) {
      b.push(h("span", { class: "badge emergency" }, t("calls.emergency")));
      c.el.classList.add("emergency");
    }
    c.badges.replaceChildren(...b);
  }

  const close = liveFeed({
    "call.started": (d) => setBadges(callCard(d.call_id, d), d),
    transcript: (d) => {
      const c = callCard(d.call_id, d);
      if (c.seqs.has(d.seq)) return; // replayed after a reconnect
      c.seqs.add(d.seq);
      // A replay may bring a line the live feed skipped: keep the card in seq order.
      const after = [...c.lines.children].find((el) => Number(el.dataset.seq) > d.seq);
      c.lines.insertBefore(line(d), after || null);
      c.lines.scrollTop = c.lines.scrollHeight;
    },
    "call.updated": (d) => setBadges(callCard(d.call_id, d), d),
    "call.ended": (d) => {
      const c = callCard(d.call_id, d);
      if (c.ended) return; // replayed after a reconnect
      c.ended = true;
      setBadges(c, {});
      c.el.append(h("p", { class: "dim" }, disposition(d.disposition), " · ",
        h("a", { href: `#/calls/${d.call_id}` }, t("call.title"))));
    },
  });

  const test = button(t("calls.testcall"), async () => {
    try {
      await post("/test-calls", { scenario: "emergency", language: "en" });
    } catch (e) {
      toast(e.message, "emergency");
    }
  });
  test.id = "test-call";
  const el = panel({ "aria-labelledby": "live-title" },
    h("div", { class: "row" }, h("h2", { id: "live-title" }, t("calls.livepanel")), h("span", { class: "shrink" }, test)),
    empty, list);
  return { el, close };
}

// -------------------------------------------------------------- call log
function callLog() {
  const q = field(t("calls.search"), { type: "search", id: "search" });
  const from = field(t("calls.from"), { type: "date" });
  const to = field(t("calls.to"), { type: "date" });
  const disp = select(t("calls.disposition"), [["", t("calls.any")],
    ...DISPOSITIONS.map((d) => [d, t(`disposition.${d}`)])], "");
  const emer = select(t("calls.emergency"), [["", t("calls.any")], ["true", t("common.yes")],
                                             ["false", t("common.no")]], "");
  const lang = select(t("calls.language"), [["", t("calls.any")], ["en", "English"], ["es", "Español"]], "");
  const body = h("tbody", {});
  const more = button(t("calls.more"), () => load(false), "secondary");
  let cursor = null;

  async function load(fresh) {
    const params = new URLSearchParams({ limit: "25" });
    for (const [k, f] of [["q", q], ["from", from], ["to", to], ["disposition", disp],
                          ["emergency", emer], ["language", lang]]) {
      if (f.input.value) params.set(k, f.input.value.trim());
    }
    if (!fresh && cursor) params.set("cursor", cursor);
    const page = await get(`/calls?${params}`);
    if (fresh) body.replaceChildren();
    for (const c of page.items) {
      // The row opens the call on a click anywhere; the keyboard and screen readers get a
      // real link in its first cell (a focusable <tr> has no role and no name to announce).
      const row = h("tr", { class: "clickable", onclick: (e) => e.target.closest("a") || go(`calls/${c.id}`) },
        h("td", {}, h("a", { href: `#/calls/${c.id}`, class: "row-link",
          "aria-label": `${t("call.title")} ${c.from_number}, ${when(c.started_at)}` }, when(c.started_at))),
        h("td", {}, c.from_number),
        h("td", {}, disposition(c.disposition), " ", c.emergency ? h("span", { class: "badge emergency" }, "!") : null),
        h("td", {}, c.language.toUpperCase()), h("td", {}, duration(c.duration_s)),
        h("td", {}, c.is_test ? t("calls.test") : ""));
      body.append(row);
    }
    if (fresh && page.items.length === 0) {
      body.append(h("tr", {}, h("td", { colspan: "6", class: "dim" }, t("calls.none"))));
    }
    cursor = page.next_cursor;
    more.hidden = !cursor;
  }
  let timer = null;
  for (const f of [q, from, to, disp, emer, lang]) {
    f.input.addEventListener(f === q ? "input" : "change", () => {
      clearTimeout(timer);
      timer = setTimeout(() => load(true), 250);
    });
  }
  const el = panel({ "aria-labelledby": "log-title" }, h("h2", { id: "log-title" }, t("calls.log")),
    h("div", { class: "row" }, q.wrap, from.wrap, to.wrap),
    h("div", { class: "row" }, disp.wrap, emer.wrap, lang.wrap),
    h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, t("calls.started")), h("th", {}, t("calls.caller")),
      h("th", {}, t("calls.disposition")), h("th", {}, t("calls.language")), h("th", {}, t("calls.duration")),
      h("th", {}, ""))), body),
    h("div", { style: "margin-top:1rem" }, more));
  return { el, load };
}

// ------------------------------------------------------------ one call

// How a realtime call went on the voice engine: call_logs.realtime_stats
// (-1 = not measured) and whether it was handed to the built-in engine.
function voiceEngine(c) {
  const r = c.realtime;
  if (!r && !c.failover) return null;
  const ms = (v) => (v === undefined || v < 0 ? "—" : `${v} ms`);
  const n = (v) => (v === undefined || v < 0 ? "—" : v.toLocaleString());
  const facts = [];
  const fact = (key, value) => facts.push(h("dt", {}, t(key)), h("dd", {}, value));
  fact("call.handover", c.failover === "realtime_to_builtin" ? t("call.handover.builtin") : t("call.none"));
  if (r) {
    fact("call.first_audio", ms(r.first_audio_ms));
    fact("call.answer_latency", ms(r.turn_latency_avg_ms));
    fact("call.answer_latency_max", ms(r.turn_latency_max_ms));
    fact("call.turns", n(r.turns));
    fact("call.tokens", `${n(r.input_tokens)} / ${n(r.output_tokens)}`);
    fact("call.reconnects", n(r.reconnects));
    fact("call.barge_ins", n(r.barge_ins));
  }
  return card({ id: "voice-engine" }, h("h2", {}, t("call.voice_engine")), h("dl", {}, ...facts));
}

async function detail(main, id) {
  const d = await get(`/calls/${id}`);
  const c = d.call;
  // Blocking refuses every later call from this number: asked first, and undone here.
  let blockedId = null;
  // While its request runs the button is only aria-disabled: a disabled control loses
  // the keyboard focus in Chromium (to <body>), so a keyboard user would be sent back
  // to the top of the page. Clicks (and Enter) while busy are ignored.
  let busy = false;
  const setBusy = (on) => {
    busy = on;
    block.setAttribute("aria-disabled", on ? "true" : "false");
  };
  const block = button("", async () => {
    if (busy) return;
    try {
      if (blocked) {
        setBusy(true);
        if (!blockedId) {
          const { items } = await get("/blocked-numbers");
          const row = items.find((b) => b.phone === c.from_number);
          blockedId = row ? row.id : null;
        }
        if (blockedId) await del(`/blocked-numbers/${blockedId}`);
        blockedId = null;
        blocked = false;
        toast(t("call.unblocked").replace("{phone}", c.from_number));
      } else {
        if (!(await confirmAction(t("call.block_confirm").replace("{phone}", c.from_number), t("call.block")))) {
          return;
        }
        setBusy(true); // only now: the question is not asked twice, Cancel leaves it idle
        blockedId = (await post(`/calls/${id}/block`)).id;
        blocked = true;
        toast(t("call.blocked_toast").replace("{phone}", c.from_number));
      }
    } catch (e) {
      showError(e);
    } finally {
      setBusy(false);
      showBlock();
    }
  }, "danger");
  block.id = "block";
  let blocked = d.blocked;
  function showBlock() {
    block.textContent = blocked ? t("call.unblock") : t("call.block");
    block.className = `glass-button ${blocked ? "secondary" : "danger"}`;
  }
  showBlock();
  const facts = h("dl", {},
    h("dt", {}, t("calls.started")), h("dd", {}, when(c.started_at)),
    h("dt", {}, t("calls.caller")), h("dd", {}, c.from_number),
    h("dt", {}, t("calls.disposition")), h("dd", {}, disposition(c.disposition)),
    h("dt", {}, t("calls.language")), h("dd", {}, c.language.toUpperCase()),
    h("dt", {}, t("calls.duration")), h("dd", {}, duration(c.duration_s)),
    h("dt", {}, t("call.sentiment")), h("dd", {}, c.sentiment ? t(`sentiment.${c.sentiment}`) : "—"),
    h("dt", {}, t("calls.engine")), h("dd", {}, t(`engine.${c.engine}`) === `engine.${c.engine}` ? c.engine
      : t(`engine.${c.engine}`)));
  // Codes (statuses, categories) are said in words; a code this page does not know yet
  // is shown as it is rather than hidden.
  const word = (prefix, code) => (code ? (t(`${prefix}.${code}`) === `${prefix}.${code}` ? code
    : t(`${prefix}.${code}`)) : "—");
  const list = (...pairs) => h("dl", {}, ...pairs.filter(([, v]) => v !== null && v !== undefined && v !== "")
    .flatMap(([k, v]) => [h("dt", {}, t(k)), h("dd", {}, v)]));
  const x = d.dispatch;
  const dispatch = x
    ? list(["call.status", word("dispatch", x.status)],
        ["call.category", x.category ? word("category", x.category) : null],
        ["call.notified", x.technician || x.notified_phone
          ? `${[x.technician, x.notified_phone].filter(Boolean).join(" · ")}${x.notified_at ? ` — ${when(x.notified_at)}` : ""}`
          : null],
        ["call.acknowledged", x.ack_at ? when(x.ack_at) : null])
    : h("p", { class: "dim" }, t("call.none"));
  const sms = d.sms.length
    ? h("ul", {}, ...d.sms.map((m) => h("li", {},
      h("div", { class: "dim" }, `${when(m.created_at)} → ${m.to_number} · ${word("sms", m.status)}`), m.body)))
    : h("p", { class: "dim" }, t("call.none"));
  const a = d.appointment;
  const appt = a
    ? list(["call.when", when(a.starts_at)], ["call.status", word("appointment", a.status)],
        ["call.customer", [a.customer_name, a.customer_phone].filter(Boolean).join(" · ")],
        ["call.service", a.service], ["call.problem", a.problem], ["call.address", a.customer_address])
    : h("p", { class: "dim" }, t("call.none"));
  // What the caller left after the beep: the owner's reason to call back.
  const voicemails = d.voicemails && d.voicemails.length
    ? card({ id: "voicemails" }, h("h2", {}, t("call.voicemails")),
      h("ul", {}, ...d.voicemails.map((v) => h("li", {},
        h("p", {}, `${when(v.created_at)} · ${duration(v.duration_s)}`),
        h("p", {}, v.transcription || t("call.notranscription")),
        v.recording_url ? h("a", { href: v.recording_url, target: "_blank", rel: "noopener noreferrer" },
          t("call.listen")) : null))))
    : null;
  main.replaceChildren(
    h("p", {}, h("a", { href: "#/calls" }, `← ${t("call.back")}`)),
    h("div", { class: "row" }, h("h1", {}, `${t("call.title")} ${c.from_number}`),
      c.emergency ? h("span", { class: "badge emergency shrink" }, t("calls.emergency")) : null,
      h("span", { class: "shrink" }, block)),
    h("div", { class: "grid two" },
      card({}, h("h2", {}, t("call.summary")), h("p", {}, c.summary || "—"),
        d.message ? h("p", {}, `${t("call.message")}: ${d.message}`) : null, facts),
      card({}, h("h2", {}, t("call.transcript")),
        h("div", { class: "transcript", id: "detail-transcript" }, ...d.transcript.map(line)))),
    h("div", { class: "grid two", style: "margin-top:1rem" },
      card({ id: "dispatch" }, h("h2", {}, t("call.dispatch")), dispatch),
      card({ id: "appointment" }, h("h2", {}, t("call.appointment")), appt),
      card({ id: "sms" }, h("h2", {}, t("call.sms")), sms),
      voicemails,
      voiceEngine(c)));
}

export async function render(main, { args }) {
  if (args[0]) {
    await detail(main, args[0]);
    return null;
  }
  const live = livePanel();
  const log = callLog();
  main.replaceChildren(h("h1", {}, t("calls.title")), live.el, h("div", { style: "height:1rem" }), log.el);
  await log.load(true);
  return live.close;
}
