// ui.js: building DOM safely (text is always text, never HTML), the shared
// components, formatting, and form error display.
import { t } from "./i18n.js";

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "value") el.value = value;
    else if (key === "checked") el.checked = !!value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const card = (attrs, ...children) =>
  h("section", { ...attrs, class: `glass-card ${(attrs && attrs.class) || ""}` }, ...children);
export const panel = (attrs, ...children) =>
  h("section", { ...attrs, class: `glass-panel ${(attrs && attrs.class) || ""}` }, ...children);
export const button = (label, onclick, kind = "") =>
  h("button", { type: "button", class: `glass-button ${kind}`, onclick }, label);

let fieldSeq = 0;
// A labelled GlowInput with a place for its error; returns { wrap, input, error }.
export function field(label, attrs = {}, tag = "input") {
  const id = attrs.id || `f${++fieldSeq}`;
  const error = h("div", { class: "field-error", id: `${id}-err`, "aria-live": "polite" });
  const input = h(tag, { class: "glow-input", id, "aria-describedby": `${id}-err`, ...attrs });
  const wrap = h("div", {}, h("label", { for: id }, label), input, error);
  return { wrap, input, error };
}

export function select(label, options, value, attrs = {}) {
  const f = field(label, attrs, "select");
  for (const [v, text] of options) f.input.append(h("option", { value: v }, text));
  f.input.value = value;
  return f;
}

// How long a notice stays: long enough to read it (about 60 ms a character, a slow
// reader's pace, above a floor of 4 s), so a long Spanish sentence is not gone half
// read (WCAG 2.2.1). An error stays until it is closed. Under the pointer or the focus
// a notice waits. Each toast has a close button, reachable with Tab; Escape closes too.
export const toastMs = (text) => Math.max(4000, 2000 + 60 * String(text).length);

export function toast(message, kind = "") {
  const error = kind === "emergency";
  let region = document.getElementById("toasts");
  if (!region) {
    region = h("div", { id: "toasts", class: "toasts" });
    document.body.append(region);
  }
  // The close button's "×" is drawn by CSS: the toast's text is the message alone,
  // its own text (not wrapped), as before.
  const close = h("button", { type: "button", class: "toast-close", "aria-label": t("common.dismiss") });
  const el = h("div", { class: `toast glass-card ${kind}`, role: error ? "alert" : "status" }, message, close);
  let left = error ? Infinity : toastMs(message);
  let timer = null, since = 0, hovered = false, focused = false, cameFrom = null;
  const dismiss = () => {
    clearTimeout(timer);
    const hadFocus = el.contains(document.activeElement);
    el.remove();
    // the focus goes back to where it was before Tab reached the toast
    if (hadFocus) {
      if (cameFrom && cameFrom.isConnected) cameFrom.focus();
      else document.getElementById("main")?.focus();
    }
  };
  const run = () => {
    if (left === Infinity || timer || hovered || focused) return;
    since = Date.now();
    timer = setTimeout(dismiss, left);
  };
  const pause = () => {
    if (!timer) return;
    clearTimeout(timer);
    timer = null;
    left = Math.max(left - (Date.now() - since), 1500); // time to move on to it again
  };
  el.addEventListener("mouseenter", () => { hovered = true; pause(); });
  el.addEventListener("mouseleave", () => { hovered = false; run(); });
  el.addEventListener("focusin", (ev) => {
    if (!focused && ev.relatedTarget && !el.contains(ev.relatedTarget)) cameFrom = ev.relatedTarget;
    focused = true;
    pause();
  });
  el.addEventListener("focusout", (ev) => {
    if (el.contains(ev.relatedTarget)) return;
    focused = false;
    run();
  });
  el.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") dismiss();
  });
  close.addEventListener("click", dismiss);
  region.append(el);
  while (region.children.length > 4) region.firstElementChild.remove(); // the oldest make room
  run();
}

// Ask before something the owner cannot take back with one tap: a modal <dialog>
// (focus moves into it, Escape cancels) with the action named on its button.
// Resolves true when the owner confirms.
export function confirmAction(question, action, kind = "danger") {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "glass-panel confirm", "aria-labelledby": "confirm-q" });
    // The focus goes back to what asked (a keyboard user is not sent to the top of the
    // page), or to <main> when that is gone (a removed row's button).
    const opener = document.activeElement;
    const answer = (yes) => {
      dialog.close();
      dialog.remove();
      if (opener && opener.isConnected && opener !== document.body) opener.focus();
      else document.getElementById("main")?.focus();
      resolve(yes);
    };
    dialog.addEventListener("cancel", (ev) => {
      ev.preventDefault();
      answer(false);
    });
    dialog.append(h("p", { id: "confirm-q" }, question),
      h("div", { class: "row" }, h("span", { class: "shrink" }, button(action, () => answer(true), kind)),
        h("span", { class: "shrink" }, button(t("kb.cancel"), () => answer(false), "secondary"))));
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelectorAll("button")[1].focus(); // the safe choice has the focus
  });
}

// Show an API error next to its field, else as a toast. The field is found
// by its exact path in `fields`, then by an input of `scope` whose data-field
// is that path (rows of hours, services, rules: "services[1].price_max"),
// then by the path's first member.
export function showError(err, fields = {}, scope = null) {
  if (err.status === 401 && err.code !== "bad_credentials") return; // the log-in page is on its way
  let f = err.field && fields[err.field];
  if (!f && err.field && scope) {
    const input = [...scope.querySelectorAll("[data-field]")].find((el) => el.dataset.field === err.field);
    if (input) f = { input, error: rowError(input) };
  }
  if (!f && err.field) f = fields[err.field.split(/[.[]/)[0]];
  if (f) {
    f.input.setAttribute("aria-invalid", "true");
    f.error.textContent = `${err.message}`;
    f.input.focus();
  } else {
    const label = err.field && fieldLabel(err.field);
    toast(label ? `${label}: ${err.message}` : err.message, "emergency");
  }
}

// The owner's word for a field the page has no input for (the API names it by its
// path, "settings.ack_window_seconds", which means nothing to an owner): the longest
// known prefix of the path, else nothing.
const FIELD_LABELS = {
  name: "set.name", address: "set.address", timezone: "set.timezone", owner_phone: "set.ownerphone",
  hours: "set.hours", holidays: "set.holidays", services: "set.services", pricing: "set.services",
  "pricing.service_call_fee": "set.fee", "pricing.notes.en": "set.notes_en", "pricing.notes.es": "set.notes_es",
  service_area: "set.area", "service_area.zips": "set.zips", "service_area.radius_miles": "set.radius",
  settings: "set.title", "settings.ack_window_seconds": "set.ack", emergency_rules: "set.emergency",
  phone: "tech.phone", role: "tech.role", email: "login.email",
  password: "login.password", business_name: "signup.business", phone_number: "signup.phone",
  title: "kb.doctitle", content: "kb.content", language: "kb.language", q: "calls.search",
};

export function fieldLabel(path) {
  const parts = path.replace(/\[\d+\]/g, "").split(".");
  for (let n = parts.length; n > 0; n--) {
    const key = FIELD_LABELS[parts.slice(0, n).join(".")];
    if (key) return t(key);
  }
  return null;
}

// The error line under a row input (created on first use, tied to it by aria-describedby).
let rowErrorSeq = 0;
function rowError(input) {
  const after = input.closest(".row") || input;
  let error = after.nextElementSibling;
  if (!error || !error.classList.contains("row-error")) {
    error = h("div", { class: "field-error row-error", id: `row-err-${++rowErrorSeq}`, "aria-live": "polite" });
    after.after(error);
  }
  input.setAttribute("aria-describedby", error.id);
  return error;
}

export function clearErrors(fields, scope = null) {
  for (const f of Object.values(fields)) {
    f.input.removeAttribute("aria-invalid");
    f.error.textContent = "";
  }
  if (scope) {
    scope.querySelectorAll("[data-field][aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    scope.querySelectorAll(".row-error").forEach((el) => { el.textContent = ""; });
  }
}

// Times are the business's: an owner reading the log on a trip, or a
// laptop set to another zone, must see the hour the caller rang in the shop.
let businessZone;

export function setTimeZone(zone) {
  businessZone = zone || undefined;
}

export function when(iso) {
  if (!iso) return "—";
  const options = { dateStyle: "medium", timeStyle: "short", timeZone: businessZone };
  try {
    return new Date(iso).toLocaleString(document.documentElement.lang || "en", options);
  } catch (e) {
    // A zone this browser does not know: its own clock rather than nothing.
    return new Date(iso).toLocaleString(document.documentElement.lang || "en",
      { ...options, timeZone: undefined });
  }
}

// The business's calendar day `daysAgo` days before today, as YYYY-MM-DD: ranges
// (analytics, the call log's dates) are the shop's days, and in the evening in the
// Americas UTC is already tomorrow.
export function businessDay(daysAgo = 0) {
  const parts = (zone) => Object.fromEntries(new Intl.DateTimeFormat("en-US",
    { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(new Date()).map((p) => [p.type, p.value]));
  let p;
  try {
    p = parts(businessZone);
  } catch (e) {
    p = parts(undefined); // a zone this browser does not know: its own calendar
  }
  const day = new Date(Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day) - daysAgo));
  return day.toISOString().slice(0, 10);
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const m = Math.floor(seconds / 60);
  return `${m}:${String(seconds % 60).padStart(2, "0")}`;
}

export function disposition(d) {
  return d ? t(`disposition.${d}`) : t("calls.live");
}

export const E164 = "^\\+[1-9][0-9]{6,14}$";
