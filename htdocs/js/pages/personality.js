// personality.js: tone, greetings, rules, voices, languages — with a live
// preview rendered by the real engine (POST /api/personality/preview).
import { get, patch, post } from "../api.js";
import { t } from "../i18n.js";
import { card, clearErrors, field, h, panel, select, showError, toast } from "../ui.js";

export function personalityForm(p, onSaved) {
  const fields = {
    assistant_name: field(t("pers.name"), { value: p.assistant_name || "Cortana", maxlength: 40 }),
    tone: select(t("pers.tone"), ["friendly", "professional", "calm"].map((v) => [v, t(`tone.${v}`)]),
                 p.tone || "friendly"),
    price_policy: select(t("pers.price"), ["ranges", "exact", "never"].map((v) => [v, t(`price.${v}`)]),
                         p.price_policy || "ranges"),
    greeting_en: field(t("pers.greeting_en"), { "data-field": "greeting.en" }, "textarea"),
    greeting_es: field(t("pers.greeting_es"), { "data-field": "greeting.es" }, "textarea"),
    rules: field(t("pers.rules"), {}, "textarea"),
    voice_en: field(t("pers.voice_en"), { value: (p.voice && p.voice.en) || "", "data-field": "voice.en" }),
    voice_es: field(t("pers.voice_es"), { value: (p.voice && p.voice.es) || "", "data-field": "voice.es" }),
  };
  fields.greeting_en.input.value = (p.greeting && p.greeting.en) || "";
  fields.greeting_es.input.value = (p.greeting && p.greeting.es) || "";
  fields.rules.input.value = (p.rules || []).join("\n");
  const langs = new Set(p.languages || ["en", "es"]);
  const en = h("input", { type: "checkbox", id: "lang-en", checked: langs.has("en") });
  const es = h("input", { type: "checkbox", id: "lang-es", checked: langs.has("es") });
  const disclose = h("input", { type: "checkbox", id: "disclose", checked: p.disclose_ai !== false });
  const preview = h("div", { id: "preview", "aria-live": "polite" });

  function body() {
    const text = (f) => f.input.value.trim() || null;
    const b = {
      assistant_name: fields.assistant_name.input.value.trim() || "Cortana",
      tone: fields.tone.input.value, price_policy: fields.price_policy.input.value,
      greeting: { en: text(fields.greeting_en), es: text(fields.greeting_es) },
      voice: { en: text(fields.voice_en), es: text(fields.voice_es) },
      rules: fields.rules.input.value.split("\n").map((r) => r.trim()).filter(Boolean),
      languages: [en.checked && "en", es.checked && "es"].filter(Boolean),
      disclose_ai: disclose.checked,
    };
    if (b.languages.length === 0) b.languages = ["en"];
    return b;
  }

  let timer = null;
  async function refreshPreview() {
    const lang = es.checked && !en.checked ? "es" : document.documentElement.lang === "es" && es.checked ? "es" : "en";
    try {
      const r = await post("/personality/preview", { personality: body(), language: lang });
      preview.replaceChildren(card({},
        h("div", { class: "transcript" },
          ...r.greeting.map((g) => h("div", { class: "line cortana" }, g)),
          h("div", { class: "line caller" }, r.caller),
          ...r.reply.map((g) => h("div", { class: "line cortana" }, g)))));
    } catch (e) {
      preview.replaceChildren(h("p", { class: "field-error" }, e.field ? `${e.field}: ${e.message}` : e.message));
    }
  }
  const form = h("form", { novalidate: true },
    h("div", { class: "row" }, fields.assistant_name.wrap, fields.tone.wrap, fields.price_policy.wrap),
    h("div", { class: "row" }, fields.greeting_en.wrap, fields.greeting_es.wrap),
    fields.rules.wrap,
    h("div", { class: "row" }, fields.voice_en.wrap, fields.voice_es.wrap),
    h("fieldset", { style: "border:0;padding:0" }, h("legend", {}, t("pers.languages")),
      h("label", { for: "lang-en", style: "display:inline" }, en, " English"), " ",
      h("label", { for: "lang-es", style: "display:inline" }, es, " Español")),
    h("label", { for: "disclose" }, disclose, " ", t("pers.disclose")),
    h("div", { class: "row", style: "margin-top:0.75rem" },
      h("button", { type: "submit", class: "glass-button" }, t("pers.save"))));
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refreshPreview, 300);
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(fields);
    try {
      await patch("/personality", body());
      toast(t("common.saved"));
      if (onSaved) await onSaved();
    } catch (e) {
      showError(e, fields, form);
    }
  });
  refreshPreview();
  return { form, preview, save: () => patch("/personality", body()) };
}

export async function render(main) {
  const p = await get("/personality");
  const { form, preview } = personalityForm(p);
  main.replaceChildren(h("h1", {}, t("pers.title")),
    h("div", { class: "grid two" }, panel({}, form),
      panel({}, h("h2", {}, t("pers.preview")), preview)));
}
