// kb.js: the knowledge base — documents (create, edit, delete) and a search
// box that shows what Cortana would answer (GET /api/kb/search, the engines' own).
import { del, get, patch, post } from "../api.js";
import { locale, t } from "../i18n.js";
import { button, card, clearErrors, confirmAction, field, h, panel, select, showError, toast } from "../ui.js";

export function documentForm(onSaved, doc) {
  const fields = {
    title: field(t("kb.doctitle"), { required: true, maxlength: 200, value: doc ? doc.title : "" }),
    content: field(t("kb.content"), { required: true, maxlength: 20000 }, "textarea"),
    language: select(t("kb.language"), [["en", "English"], ["es", "Español"]], doc ? doc.language : "en"),
  };
  fields.content.input.value = doc ? doc.content : "";
  const form = h("form", { novalidate: true, "aria-label": doc ? t("kb.edit") : t("kb.new") },
    fields.title.wrap, fields.content.wrap, fields.language.wrap,
    h("div", { class: "row", style: "margin-top:0.75rem" },
      h("button", { type: "submit", class: "glass-button" }, t("kb.save"))));
  // Saves the document; a refusal is shown on its field and thrown (e.shown).
  const save = async () => {
    clearErrors(fields);
    const body = { title: fields.title.input.value.trim(), content: fields.content.input.value.trim(),
                   language: fields.language.input.value };
    try {
      const saved = doc ? await patch(`/kb/${doc.id}`, body) : await post("/kb", body);
      toast(t("common.saved"));
      form.reset();
      await onSaved(saved);
    } catch (e) {
      showError(e, fields);
      e.shown = true;
      throw e;
    }
  };
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    save().catch(() => {}); // shown on the form
  });
  // For the wizard's Next and Back: what was typed is saved, not dropped.
  form.saveTyped = () => (fields.title.input.value.trim() || fields.content.input.value.trim() ? save() : null);
  return form;
}

export async function render(main) {
  const list = h("div", { class: "grid two", id: "kb-list" });
  const editor = h("div", {});

  async function refresh() {
    const { items } = await get("/kb");
    list.replaceChildren(...(items.length ? items.map((d) => card({ "data-doc": d.id },
      h("h3", {}, d.title), h("p", { class: "dim" }, d.excerpt),
      h("div", { class: "row" },
        button(t("kb.edit"), async () => {
          try {
            const full = await get(`/kb/${d.id}`);
            editor.replaceChildren(panel({}, h("h2", {}, `${t("kb.edit")}: ${full.title}`),
              documentForm(async () => { editor.replaceChildren(); await refresh(); }, full)));
            editor.querySelector("input").focus();
          } catch (e) {
            showError(e);
          }
        }, "secondary small"),
        button(t("kb.delete"), async () => {
          if (!(await confirmAction(t("kb.delete_confirm").replace("{title}", d.title), t("kb.delete")))) return;
          try {
            await del(`/kb/${d.id}`);
            toast(t("common.deleted"));
            await refresh();
          } catch (e) {
            showError(e);
          }
        }, "danger small"))))
      : [h("p", { class: "dim" }, t("kb.empty"))]));
  }

  // The question is searched as a caller in that language would be heard (stemming,
  // stop words): a Spanish caller's words only find a Spanish answer that way.
  const ask = field(t("kb.ask"), { type: "search", id: "kb-ask" });
  const askLang = select(t("kb.asklang"), [["en", "English"], ["es", "Español"]], locale(), { id: "kb-ask-lang" });
  const answer = h("p", { id: "kb-answer", "aria-live": "polite" });
  const askFields = { q: ask, language: askLang };
  let timer = null, asked = 0;
  const search = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = ask.input.value.trim();
      const mine = ++asked;
      clearErrors(askFields);
      if (!q) return answer.replaceChildren();
      // The server takes at most 500 bytes of question (UTF-8: an accent counts twice).
      if (new TextEncoder().encode(q).length > 500) {
        ask.input.setAttribute("aria-invalid", "true");
        ask.error.textContent = t("kb.asktoolong");
        return answer.replaceChildren();
      }
      try {
        const r = await get(`/kb/search?${new URLSearchParams({ q, language: askLang.input.value })}`);
        if (mine !== asked) return; // a newer question is on its way
        answer.replaceChildren(h("strong", {}, `${t("kb.answer")}: `), r.found ? r.answer : t("kb.noanswer"));
      } catch (e) {
        if (mine !== asked) return;
        answer.replaceChildren();
        showError(e, askFields);
      }
    }, 250);
  };
  ask.input.addEventListener("input", search);
  askLang.input.addEventListener("change", search);

  main.replaceChildren(h("h1", {}, t("kb.title")),
    panel({}, h("div", { class: "row" }, ask.wrap, h("div", { class: "shrink" }, askLang.wrap)), answer), h("div", { style: "height:1rem" }),
    panel({}, h("h2", {}, t("kb.new")), documentForm(refresh)), h("div", { style: "height:1rem" }),
    editor, list);
  await refresh();
}
