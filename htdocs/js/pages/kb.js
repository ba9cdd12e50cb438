// kb.js: the knowledge base — documents (create, edit, delete) and a search
// box that shows what Cortana would answer (GET /api/kb/search, the engines' own).
import { del, get, patch, post } from "../api.js";
import { t } from "../i18n.js";
import { button, card, clearErrors, field, h, panel, select, showError, toast } from "../ui.js";

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
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
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
    }
  });
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
          const full = await get(`/kb/${d.id}`);
          editor.replaceChildren(panel({}, h("h2", {}, `${t("kb.edit")}: ${full.title}`),
            documentForm(async () => { editor.replaceChildren(); await refresh(); }, full)));
          editor.querySelector("input").focus();
        }, "secondary small"),
        button(t("kb.delete"), async () => {
          await del(`/kb/${d.id}`);
          toast(t("common.deleted"));
          await refresh();
        }, "danger small"))))
      : [h("p", { class: "dim" }, t("kb.empty"))]));
  }

  const ask = field(t("kb.ask"), { type: "search", id: "kb-ask" });
  const answer = h("p", { id: "kb-answer", "aria-live": "polite" });
  let timer = null;
  ask.input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = ask.input.value.trim();
      if (!q) return answer.replaceChildren();
      const r = await get(`/kb/search?q=${encodeURIComponent(q)}`);
      answer.replaceChildren(h("strong", {}, `${t("kb.answer")}: `), r.found ? r.answer : t("kb.noanswer"));
    }, 250);
  });

  main.replaceChildren(h("h1", {}, t("kb.title")),
    panel({}, ask.wrap, answer), h("div", { style: "height:1rem" }),
    panel({}, h("h2", {}, t("kb.new")), documentForm(refresh)), h("div", { style: "height:1rem" }),
    editor, list);
  await refresh();
}
