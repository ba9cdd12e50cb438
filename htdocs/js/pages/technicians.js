// technicians.js: the team and its on-call order (PUT /api/technicians/order).
import { del, get, patch, post, put } from "../api.js";
import { t } from "../i18n.js";
import { button, card, clearErrors, confirmAction, field, h, panel, showError, toast, E164 } from "../ui.js";

export function technicianForm(onSaved) {
  const fields = {
    name: field(t("tech.name"), { required: true, maxlength: 200, id: "tech-name" }),
    phone: field(t("tech.phone"), { required: true, pattern: E164, inputmode: "tel", placeholder: "+1…",
                                    id: "tech-phone" }),
    role: field(t("tech.role"), { maxlength: 100, id: "tech-role" }),
  };
  const form = h("form", { novalidate: true, "aria-label": t("tech.add") },
    h("div", { class: "row" }, fields.name.wrap, fields.phone.wrap, fields.role.wrap),
    h("button", { type: "submit", class: "glass-button" }, t("tech.add")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(fields);
    const phone = fields.phone.input.value.replace(/[\s().-]/g, "");
    if (!new RegExp(E164).test(phone)) {
      fields.phone.input.setAttribute("aria-invalid", "true");
      fields.phone.error.textContent = "+13125550100";
      fields.phone.input.focus();
      return;
    }
    const body = { name: fields.name.input.value.trim(), phone };
    if (fields.role.input.value.trim()) body.role = fields.role.input.value.trim();
    try {
      await post("/technicians", body);
      form.reset();
      await onSaved();
    } catch (e) {
      showError(e, fields);
    }
  });
  return form;
}

// Name, phone and role of one technician, edited in place.
function editForm(tech, onSaved) {
  const fields = {
    name: field(t("tech.name"), { value: tech.name, required: true, maxlength: 200 }),
    phone: field(t("tech.phone"), { value: tech.phone, required: true, pattern: E164, inputmode: "tel" }),
    role: field(t("tech.role"), { value: tech.role, maxlength: 100 }),
  };
  const form = h("form", { novalidate: true, "aria-label": `${t("kb.edit")} ${tech.name}` },
    h("div", { class: "row" }, fields.name.wrap, fields.phone.wrap, fields.role.wrap),
    h("div", { class: "row" }, h("button", { type: "submit", class: "glass-button small shrink" }, t("kb.save")),
      h("span", { class: "shrink" }, button(t("kb.cancel"), onSaved, "secondary small"))));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(fields);
    try {
      await patch(`/technicians/${tech.id}`, { name: fields.name.input.value.trim(),
        phone: fields.phone.input.value.replace(/[\s().-]/g, ""), role: fields.role.input.value.trim() || "technician" });
      toast(t("common.saved"));
      await onSaved();
    } catch (e) {
      showError(e, fields);
    }
  });
  setTimeout(() => fields.name.input.focus());
  return form;
}

export async function render(main) {
  const list = h("div", { class: "stack", id: "tech-list" });

  async function refresh() {
    const { items } = await get("/technicians");
    // A refused change (the server away, a technician removed in another tab) is
    // said, and the list redrawn from what the server holds.
    const attempt = async (change) => {
      try {
        await change();
      } catch (e) {
        showError(e);
      }
      try {
        await refresh();
      } catch (e) {
        showError(e);
      }
    };
    const move = (i, delta) => attempt(async () => {
      const ids = items.map((x) => x.id);
      [ids[i], ids[i + delta]] = [ids[i + delta], ids[i]];
      await put("/technicians/order", { ids });
    });
    list.replaceChildren(...(items.length ? items.map((tech, i) => {
      const active = h("input", { type: "checkbox", id: `active-${tech.id}`, checked: tech.active,
        onchange: () => attempt(async () => {
          await patch(`/technicians/${tech.id}`, { active: active.checked });
          toast(t("common.saved"));
        }) });
      const info = h("div", {}, h("strong", { class: "tech-name" }, tech.name), h("div", { class: "dim" },
        `${tech.phone} · ${tech.role}`));
      const edit = button(t("kb.edit"), () => info.replaceWith(editForm(tech, refresh)), "secondary small");
      return card({ "data-tech": tech.id }, h("div", { class: "row" },
        info,
        h("label", { for: `active-${tech.id}`, class: "shrink" }, active, " ", t("tech.active")),
        h("span", { class: "row shrink" },
          edit,
          button("↑", () => move(i, -1), "secondary small"),
          button("↓", () => move(i, 1), "secondary small"),
          button(t("tech.remove"), async () => {
            if (!(await confirmAction(t("tech.remove_confirm").replace("{name}", tech.name), t("tech.remove")))) return;
            await attempt(async () => {
              await del(`/technicians/${tech.id}`);
              toast(t("common.deleted"));
            });
          }, "danger small"))));
    }) : [h("p", { class: "dim" }, t("tech.empty"))]));
    list.querySelectorAll("button").forEach((b) => {
      if (b.textContent === "↑") b.setAttribute("aria-label", t("tech.up"));
      if (b.textContent === "↓") b.setAttribute("aria-label", t("tech.down"));
    });
    const ups = list.querySelectorAll('[aria-label="' + t("tech.up") + '"]');
    if (ups[0]) ups[0].disabled = true;
    const downs = list.querySelectorAll('[aria-label="' + t("tech.down") + '"]');
    if (downs.length) downs[downs.length - 1].disabled = true;
  }
  main.replaceChildren(h("h1", {}, t("tech.title")), h("p", { class: "dim" }, t("tech.order")),
    panel({}, technicianForm(refresh)), h("div", { style: "height:1rem" }), list);
  await refresh();
}
