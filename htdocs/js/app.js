// app.js: the dashboard shell — who is logged in, the sidebar, and a
// hash router (#/calls/…) that renders one page module into <main>.
import { get, onSessionLost, patch, post, setCsrf, ApiError } from "./api.js";
import { setLocale, locale, t } from "./i18n.js";
import { h, setTimeZone } from "./ui.js";

const pages = {
  login: () => import("./pages/login.js"),
  signup: () => import("./pages/login.js"),
  dashboard: () => import("./pages/dashboard.js"),
  calls: () => import("./pages/calls.js"),
  kb: () => import("./pages/kb.js"),
  personality: () => import("./pages/personality.js"),
  technicians: () => import("./pages/technicians.js"),
  settings: () => import("./pages/settings.js"),
  onboarding: () => import("./pages/onboarding.js"),
};

const nav = ["dashboard", "calls", "kb", "personality", "technicians", "settings", "onboarding"];

export const session = { me: null };
let cleanup = null;

export function go(path) {
  location.hash = "#/" + path;
}

async function loadMe() {
  const s = await get("/session");
  session.me = s.me;
  if (s.me) {
    setCsrf(s.me.csrf_token);
    setLocale(s.me.user.locale);
    setTimeZone(s.me.business.timezone);
  }
}

export async function loggedIn(me) {
  session.me = me;
  setCsrf(me.csrf_token);
  setLocale(me.user.locale);
  setTimeZone(me.business.timezone);
}

async function switchLanguage() {
  const next = locale() === "es" ? "en" : "es";
  session.me = await patch("/me", { locale: next });
  setLocale(next);
  setTimeZone(session.me.business.timezone);
  render();
}

async function logout() {
  try {
    await post("/logout");
  } finally {
    session.me = null;
    go("login");
  }
}

function shell(name) {
  const main = h("main", { id: "main", tabindex: "-1" });
  const links = nav.map((p) =>
    h("a", { href: `#/${p}`, "aria-current": p === name ? "page" : null }, t(`nav.${p}`)));
  const sidebar = h("nav", { class: "sidebar", "aria-label": "Cortana" },
    h("div", { class: "brand" }, "Cortana"),
    h("div", { class: "dim", style: "font-size:0.85rem;margin:-0.8rem 0 0.8rem" },
      session.me.business.name),
    ...links,
    h("div", { class: "bottom" },
      h("button", { type: "button", class: "glass-button secondary small", id: "lang-switch",
                    onclick: switchLanguage }, t("nav.language")),
      h("button", { type: "button", class: "glass-button secondary small", onclick: logout },
        t("nav.logout"))));
  const root = document.getElementById("app");
  root.replaceChildren(h("div", { class: "layout" }, sidebar, main));
  return main;
}

async function render() {
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  const [name, ...args] = (location.hash.replace(/^#\/?/, "") || "dashboard").split("/");
  const page = pages[name] ? name : "dashboard";
  if (!session.me && page !== "login" && page !== "signup") {
    go("login");
    return;
  }
  const mod = await pages[page]();
  const target = page === "login" || page === "signup"
    ? document.getElementById("app") : shell(page);
  document.title = `Cortana — ${t(`nav.${page}`) === `nav.${page}` ? "" : t(`nav.${page}`)}`;
  try {
    cleanup = (await mod.render(target, { page, args })) || null;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      session.me = null;
      go("login");
      return;
    }
    target.append(h("p", { class: "notice", role: "alert" }, `${t("common.error")}: ${e.message}`));
  }
}

onSessionLost(() => {
  if (!session.me) return;
  session.me = null;
  setCsrf(null);
  go("login");
});

window.addEventListener("hashchange", render);
loadMe().then(render);
