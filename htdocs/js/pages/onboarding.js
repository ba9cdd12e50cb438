// onboarding.js: a new owner's first minutes — business, hours, services
// and prices, technicians, knowledge, personality, then a test call they
// watch live. Each step saves through the same API as the full pages.
import { get, patch, post } from "../api.js";
import { t } from "../i18n.js";
import { liveFeed } from "../live.js";
import { button, card, field, h, panel, setTimeZone, showError } from "../ui.js";
import { documentForm } from "./kb.js";
import { personalityForm } from "./personality.js";
import { DAYS, servicesEditor } from "./settings.js";
import { technicianForm } from "./technicians.js";

const STEPS = ["business", "hours", "services", "technicians", "kb", "personality", "test"];

export async function render(main, { args }) {
  let step = Math.max(0, STEPS.indexOf(args[0] || "business"));
  let closeFeed = null;

  async function show() {
    const b = await get("/business");
    const name = STEPS[step];
    // The step the owner is on is the address: a reload or a shared link comes back to it.
    // replaceState, not location.hash: a hashchange would draw the whole page again.
    if (location.hash !== `#/onboarding/${name}`) history.replaceState(null, "", `#/onboarding/${name}`);
    const steps = h("ol", { class: "steps", "aria-label": t("onb.title") },
      ...STEPS.map((s, i) => h("li", { class: "step", "aria-current": i === step ? "step" : null }, t(`onb.${s}`))));
    const body = h("div", { class: "stack" });
    let save = async () => {};

    if (name === "business") {
      const f = { name: field(t("set.name"), { value: b.name, id: "onb-name" }),
                  address: field(t("set.address"), { value: b.address || "", id: "onb-address" }),
                  timezone: field(t("set.timezone"), { value: b.timezone, id: "onb-timezone" }) };
      body.append(f.name.wrap, f.address.wrap, f.timezone.wrap);
      save = async () => {
        try {
          const saved = await patch("/business", { name: f.name.input.value.trim(),
            address: f.address.input.value.trim() || null, timezone: f.timezone.input.value.trim() });
          setTimeZone(saved.timezone);
        } catch (e) {
          showError(e, f);
          e.shown = true;
          throw e;
        }
      };
    } else if (name === "hours") {
      // What was saved (coming back to this step), else a plumber's usual week.
      const saved = DAYS.some((d) => b.hours && b.hours[d] && b.hours[d].length);
      const mk = (label, open, close, id, day) => {
        const first = saved ? (b.hours[day] || [])[0] : { open, close };
        if (first) [open, close] = [first.open, first.close === "24:00" ? "00:00" : first.close];
        const o = h("input", { class: "glow-input", type: "time", value: open, id: `${id}-open`, "aria-label": `${label}: ${t("set.opens")}` });
        const c = h("input", { class: "glow-input", type: "time", value: close, id: `${id}-close`, "aria-label": `${label}: ${t("set.closes")}` });
        const on = h("input", { type: "checkbox", checked: !!first, id: `${id}-on` });
        body.append(card({}, h("h3", {}, label), h("div", { class: "row" }, o, c,
          h("label", { for: `${id}-on`, class: "shrink" }, on, " ", t("onb.open")))));
        return () => (on.checked ? [{ open: o.value, close: c.value === "00:00" ? "24:00" : c.value }] : []);
      };
      const weekdays = mk(t("onb.weekdays"), "08:00", "17:00", "wk", "monday");
      const saturday = mk(t("onb.saturday"), "09:00", "13:00", "sat", "saturday");
      save = () => patch("/business", { hours: Object.fromEntries(DAYS.map((d) =>
        [d, d === "saturday" ? saturday() : d === "sunday" ? [] : weekdays()])) });
    } else if (name === "services") {
      const ed = servicesEditor(b.services.length ? b.services
        : [{ name: "Drain cleaning", duration_minutes: 60, price_min: 129, price_max: 249 }]);
      body.append(ed.el);
      save = () => patch("/business", { services: ed.value((s) => s.name) });
    } else if (name === "technicians") {
      const list = h("ul", { id: "onb-techs" });
      const refresh = async () => {
        const { items } = await get("/technicians");
        list.replaceChildren(...items.map((x) => h("li", {}, `${x.name} · ${x.phone}`)));
      };
      body.append(technicianForm(refresh), list);
      await refresh();
    } else if (name === "kb") {
      const doc = documentForm(async () => {});
      body.append(doc);
      save = async () => doc.saveTyped(); // typed but not saved: kept, as the other steps are
    } else if (name === "personality") {
      const p = personalityForm(await get("/personality"));
      p.form.querySelector('button[type="submit"]').remove();
      body.append(h("div", { class: "grid two" }, p.form, p.preview));
      save = p.save;
    } else {
      const transcript = h("div", { class: "transcript", id: "onb-transcript", "aria-live": "polite" });
      const status = h("p", { id: "onb-status", class: "dim" });
      let callId = null;
      const seqs = new Set();
      if (closeFeed) closeFeed(); // the step drawn again: one feed, not two
      closeFeed = liveFeed({
        "call.started": (d) => {
          if (d.test && !callId && !d.replayed) callId = d.call_id;
        },
        transcript: (d) => {
          if (d.call_id !== callId || seqs.has(d.seq)) return; // a replay after a reconnect
          seqs.add(d.seq);
          transcript.append(h("div", { class: `line ${d.speaker}`, "data-seq": d.seq }, d.text));
        },
        "call.ended": (d) => {
          if (d.call_id === callId) status.textContent = `${t(`disposition.${d.disposition}`)} — ${t("onb.done")}`;
        },
      });
      body.append(button(t("onb.place"), async () => {
        callId = null;
        seqs.clear();
        transcript.replaceChildren();
        await post("/test-calls", { scenario: "emergency", language: document.documentElement.lang === "es" ? "es" : "en" });
      }), transcript, status);
    }

    // Back keeps this step's input as Next does: it is saved first.
    const back = button(t("onb.back"), async () => {
      try {
        await save();
      } catch (e) {
        if (!e.shown) showError(e, {}, body);
        return;
      }
      step -= 1;
      show();
    }, "secondary");
    back.id = "onb-back";
    back.disabled = step === 0;
    const next = button(step === STEPS.length - 1 ? t("onb.finish") : t("onb.next"), async () => {
      try {
        await save();
      } catch (e) {
        if (!e.shown) showError(e, {}, body);
        return;
      }
      if (step === STEPS.length - 1) {
        location.hash = "#/calls";
        return;
      }
      step += 1;
      show();
    });
    next.id = "onb-next";
    if (closeFeed && name !== "test") {
      closeFeed();
      closeFeed = null;
    }
    main.replaceChildren(h("h1", {}, t("onb.title")), steps,
      panel({ "aria-labelledby": "step-title" }, h("h2", { id: "step-title" }, t(`onb.${name}`)), body,
        h("div", { class: "row", style: "margin-top:1rem" }, h("span", { class: "shrink" }, back),
          h("span", { class: "shrink" }, next))));
    const first = body.querySelector("input, textarea, select, button");
    if (first) first.focus();
  }
  await show();
  return () => closeFeed && closeFeed();
}
