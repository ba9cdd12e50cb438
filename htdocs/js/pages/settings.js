// settings.js: the business's settings — hours (several intervals a day),
// holidays, time zone, services and prices, service area, emergency rules,
// acknowledgement window; placeholders for phone number, calendar, billing.
import { get, patch } from "../api.js";
import { t } from "../i18n.js";
import { button, card, clearErrors, field, h, panel, select, setTimeZone, showError, toast, E164 } from "../ui.js";

export const DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const CATEGORIES = ["flooding", "gas_leak", "no_heat", "electrical_hazard", "sewage_backup",
                    "carbon_monoxide", "no_water", "lockout_danger", "custom"];

// Rows of inputs that add and remove themselves; value(keep) reads back the
// rows keep() accepts and stamps their inputs with the path the API names
// in a 400 (`${path}[i].${key}`, i counting only the rows sent).
function rows(makeRow, initial, addLabel, path) {
  const box = h("div", { class: "stack" });
  const items = [];
  function add(v) {
    const r = makeRow(v || {});
    const el = h("div", { class: "row" }, ...r.cells,
      h("span", { class: "shrink" }, button(t("set.remove"), () => {
        items.splice(items.indexOf(r), 1);
        el.remove();
      }, "secondary small")));
    r.el = el;
    items.push(r);
    box.append(el);
  }
  (initial || []).forEach(add);
  const addButton = button(addLabel, () => add(), "secondary small");
  function value(keep = () => true) {
    const sent = [];
    for (const r of items) {
      const v = r.value();
      const inputs = Object.entries(r.inputs || {});
      if (!keep(v)) {
        inputs.forEach(([, el]) => el.removeAttribute("data-field"));
        continue;
      }
      inputs.forEach(([key, el]) => { el.dataset.field = `${path}[${sent.length}].${key}`; });
      sent.push(v);
    }
    return sent;
  }
  return { el: h("div", {}, box, h("div", { style: "margin-top:0.5rem" }, addButton)), value, add };
}

const input = (attrs) => h("input", { class: "glow-input", ...attrs });

export function hoursEditor(hours) {
  const days = {};
  const el = h("div", { class: "stack", id: "hours" });
  for (const day of DAYS) {
    days[day] = rows((v) => {
      const open = input({ type: "time", value: v.open || "08:00", "aria-label": `${t(`day.${day}`)}: ${t("set.opens")}`,
                           "data-day": day, "data-edge": "open" });
      const close = input({ type: "time", value: v.close || "17:00", "aria-label": `${t(`day.${day}`)}: ${t("set.closes")}`,
                            "data-day": day, "data-edge": "close" });
      return { cells: [open, close], inputs: { open, close },
               value: () => ({ open: open.value, close: close.value === "00:00" ? "24:00" : close.value }) };
    }, (hours && hours[day]) || [], t("set.addinterval"), `hours.${day}`);
    el.append(card({}, h("h3", {}, t(`day.${day}`)), days[day].el));
  }
  return { el, value: () => Object.fromEntries(DAYS.map((d) => [d, days[d].value()])) };
}

export function servicesEditor(services) {
  return rows((v) => {
    const name = input({ value: v.name || "", "aria-label": t("set.service"), placeholder: t("set.service") });
    const minutes = input({ type: "number", min: 15, max: 1440, value: v.duration_minutes || 60,
                            "aria-label": t("set.minutes") });
    const lo = input({ type: "number", min: 0, value: v.price_min ?? "", "aria-label": t("set.pricemin"),
                       placeholder: t("set.pricemin") });
    const hi = input({ type: "number", min: 0, value: v.price_max ?? "", "aria-label": t("set.pricemax"),
                       placeholder: t("set.pricemax") });
    return { cells: [name, minutes, lo, hi],
             inputs: { name, duration_minutes: minutes, price_min: lo, price_max: hi }, value: () => {
      const s = { name: name.value.trim(), duration_minutes: Number(minutes.value) || 60 };
      if (lo.value !== "") s.price_min = Number(lo.value);
      if (hi.value !== "") s.price_max = Number(hi.value);
      return s;
    } };
  }, services, t("set.addservice"), "services");
}

export async function render(main) {
  const b = await get("/business");
  const fields = {
    name: field(t("set.name"), { value: b.name, required: true }),
    address: field(t("set.address"), { value: b.address || "" }),
    timezone: field(t("set.timezone"), { value: b.timezone }),
    owner_phone: field(t("set.ownerphone"), { value: b.owner_phone || "", pattern: E164 }),
    fee: field(t("set.fee"), { type: "number", min: 0, "data-field": "pricing.service_call_fee", value: (b.pricing && b.pricing.service_call_fee) ?? "" }),
    notes_en: field(t("set.notes_en"), { "data-field": "pricing.notes.en", value: (b.pricing && b.pricing.notes && b.pricing.notes.en) || "" }),
    notes_es: field(t("set.notes_es"), { "data-field": "pricing.notes.es", value: (b.pricing && b.pricing.notes && b.pricing.notes.es) || "" }),
    zips: field(t("set.zips"), { "data-field": "service_area.zips", value: ((b.service_area && b.service_area.zips) || []).join(", ") }),
    radius: field(t("set.radius"), { "data-field": "service_area.radius_miles", type: "number", min: 0, max: 500, value: (b.service_area && b.service_area.radius_miles) ?? "" }),
    ack: field(t("set.ack"), { "data-field": "settings.ack_window_seconds", type: "number", min: 30, max: 3600, value: (b.settings && b.settings.ack_window_seconds) || 300 }),
  };
  const hours = hoursEditor(b.hours);
  const holidays = rows((v) => {
    const date = input({ type: "date", value: v.date || "", "aria-label": t("set.date") });
    const name = input({ value: v.name || "", "aria-label": t("set.name") });
    return { cells: [date, name], inputs: { date, name },
             value: () => (name.value.trim() ? { date: date.value, name: name.value.trim() } : { date: date.value }) };
  }, b.holidays, t("set.addholiday"), "holidays");
  const services = servicesEditor(b.services);
  const rules = rows((v) => {
    const phrase = input({ value: v.phrase || "", "aria-label": t("set.phrase"), placeholder: t("set.phrase") });
    const cat = h("select", { class: "glow-input", "aria-label": t("set.category") },
      ...CATEGORIES.map((c) => h("option", { value: c }, t(`category.${c}`))));
    cat.value = v.category || "custom";
    return { cells: [phrase, cat], inputs: { phrase, category: cat },
             value: () => ({ phrase: phrase.value.trim(), category: cat.value }) };
  }, (b.settings && b.settings.emergency_rules) || [], t("set.addrule"), "settings.emergency_rules");

  const save = h("button", { type: "submit", class: "glass-button", id: "save-settings" }, t("set.save"));
  const form = h("form", { novalidate: true, class: "stack" },
    panel({}, h("h2", {}, t("set.business")),
      h("div", { class: "row" }, fields.name.wrap, fields.timezone.wrap),
      h("div", { class: "row" }, fields.address.wrap, fields.owner_phone.wrap)),
    panel({}, h("h2", {}, t("set.hours")), h("div", { class: "grid two" }, hours.el),
      h("h3", { style: "margin-top:1rem" }, t("set.holidays")), holidays.el),
    panel({}, h("h2", {}, t("set.services")), services.el,
      h("div", { class: "row" }, fields.fee.wrap, fields.notes_en.wrap, fields.notes_es.wrap)),
    panel({}, h("h2", {}, t("set.area")), h("div", { class: "row" }, fields.zips.wrap, fields.radius.wrap)),
    panel({}, h("h2", {}, t("set.emergency")), rules.el, fields.ack.wrap),
    h("div", { class: "grid two" }, ...["phone", "calendar", "billing"].map((k) =>
      card({}, h("h3", {}, t(`set.${k}`)), h("p", { class: "dim" }, k === "phone" ? b.phone_number : t("set.later"))))),
    h("div", {}, save));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(fields, form);
    const zips = fields.zips.input.value.split(",").map((z) => z.trim()).filter(Boolean);
    const body = {
      name: fields.name.input.value.trim(), timezone: fields.timezone.input.value.trim(),
      address: fields.address.input.value.trim() || null,
      owner_phone: fields.owner_phone.input.value.trim() || null,
      hours: hours.value(), holidays: holidays.value(), services: services.value((s) => s.name),
      pricing: { service_call_fee: fields.fee.input.value === "" ? null : Number(fields.fee.input.value),
                 notes: { en: fields.notes_en.input.value.trim() || null, es: fields.notes_es.input.value.trim() || null } },
      service_area: { zips, ...(fields.radius.input.value === "" ? {} : { radius_miles: Number(fields.radius.input.value) }) },
      settings: { ack_window_seconds: Number(fields.ack.input.value) || 300,
                  emergency_rules: rules.value((r) => r.phrase) },
    };
    try {
      const saved = await patch("/business", body);
      setTimeZone(saved.timezone);
      toast(t("set.saved"));
    } catch (e) {
      showError(e, fields, form);
    }
  });
  main.replaceChildren(h("h1", {}, t("set.title")), form);
}
