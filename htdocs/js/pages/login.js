// login.js: log in, or sign up (a business and its owner), then the app.
import { post } from "../api.js";
import { go, loggedIn } from "../app.js";
import { t } from "../i18n.js";
import { clearErrors, field, h, panel, showError, E164 } from "../ui.js";

export async function render(root, { page }) {
  const signup = page === "signup";
  const fields = {};
  if (signup) {
    fields.business_name = field(t("signup.business"), { required: true, maxlength: 200,
                                                         autocomplete: "organization" });
    fields.phone_number = field(t("signup.phone"), { required: true, pattern: E164,
                                                     inputmode: "tel", placeholder: "+1…" });
    fields.timezone = field(t("signup.timezone"), {
      value: Intl.DateTimeFormat().resolvedOptions().timeZone || "America/New_York" });
  }
  fields.email = field(t("login.email"), { type: "email", required: true, autocomplete: "email" });
  fields.password = field(t("login.password"), {
    type: "password", required: true, minlength: signup ? 10 : 1,
    autocomplete: signup ? "new-password" : "current-password" });

  const form = h("form", { novalidate: true },
    ...Object.values(fields).map((f) => f.wrap),
    h("div", { class: "row", style: "margin-top:1rem" },
      h("button", { type: "submit", class: "glass-button" },
        signup ? t("signup.submit") : t("login.submit"))));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(fields);
    const body = Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.input.value.trim()]));
    body.password = fields.password.input.value;
    try {
      const me = await post(signup ? "/signup" : "/login", body);
      await loggedIn(me);
      go(signup ? "onboarding" : "dashboard");
    } catch (e) {
      showError(e, fields);
    }
  });
  root.replaceChildren(h("div", { class: "center-page" },
    panel({ "aria-labelledby": "auth-title" },
      h("div", { class: "brand", style: "font-size:1.5rem;font-weight:700" }, "Cortana"),
      h("h1", { id: "auth-title" }, signup ? t("signup.title") : t("login.title")),
      form,
      h("p", { class: "dim", style: "margin-top:1rem" },
        signup ? t("signup.have") : t("login.noaccount"), " ",
        h("a", { href: signup ? "#/login" : "#/signup" },
          signup ? t("login.submit") : t("login.signup"))))));
  fields[signup ? "business_name" : "email"].input.focus();
}
