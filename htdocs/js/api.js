// api.js: the dashboard's only door to the server — JSON over /api/ with the
// session cookie, the CSRF token on every change, errors as ApiError.

import { t } from "./i18n.js";

let csrf = null;
let sessionLost = null;

// What the owner reads for answers that are about the server, not the input:
// a rate limit (with how long to wait, from Retry-After) or a server that is
// down — whose body may be httpd's HTML page rather than our JSON.
function ownerMessage(status, error, retryAfter) {
  if (status === 429) {
    const s = Number(retryAfter);
    if (!(s > 0)) return t("error.busy");
    return s < 90 ? t("error.busy_seconds").replace("{n}", Math.ceil(s))
      : t("error.busy_minutes").replace("{n}", Math.ceil(s / 60));
  }
  if (status === 503 || status === 502 || status === 504) return t("error.unavailable");
  if (status === 401 && error && error.code === "bad_credentials") return t("error.credentials");
  return error && error.message ? serverText(error) : `${t("common.error")} (HTTP ${status})`;
}

// The API speaks English (lib/api_schema.c, lib/api.c): its codes and the messages
// the dashboard can meet are said here in the interface's language; {1}, {2} are the
// figures the server put in. A message not listed is shown as the server wrote it.
const SERVER_CODES = { csrf: "srv.csrf", not_found: "srv.not_found", signup_disabled: "srv.signup_disabled",
                       slot_taken: "srv.slot_taken" };
const SERVER_MESSAGES = [
  [/^must not be empty$/, "srv.empty"],
  [/^must not be null$|^is required$/, "srv.required"],
  [/^must have at least (\d+) characters$/, "srv.min_chars"],
  [/^must have at most (\d+) characters$/, "srv.max_chars"],
  [/^is not a valid (e164|email|date|date-time|hh:mm|timezone|postal)$/, (m) => `srv.format.${m[1]}`],
  [/^is not a valid /, "srv.not_acceptable"],
  [/^is not one of the allowed values$/, "srv.choice"],
  [/^must be between (-?[\d.]+) and (-?[\d.]+)$/, "srv.between"],
  [/^must be at least (-?[\d.]+)$/, "srv.at_least"],
  [/^must have between (\d+) and (\d+) items$/, "srv.items"],
  [/^must be of type /, "srv.type"],
  [/^is not a known field$/, "srv.unknown_field"],
  [/^is read-only$/, "srv.read_only"],
  [/^must not be below price_min$/, "srv.price_order"],
  [/^this value is already in use$/, "srv.in_use"],
  [/^that time is no longer free$|^that time overlaps another appointment$/, "srv.slot_taken"],
  [/^the value is not acceptable$/, "srv.not_acceptable"],
  [/^refers to something that does not exist$/, "srv.missing_ref"],
  [/^this phone number already has an account$/, "srv.phone_taken"],
  [/^the current password is wrong$/, "srv.password_wrong"],
  [/^must be in the future$/, "srv.future"],
  [/^must be en or es$/, "srv.language"],
  [/^must list every technician of the business exactly once$/, "srv.order"],
  [/^(.+) already has this place in the on-call order; /, "srv.on_call_taken"],
  [/^the request could not be completed$/, "common.error"],
];

export function serverText(error) {
  const said = (key, m = []) => {
    const text = t(key);
    return text === key ? null : text.replace(/\{(\d)\}/g, (_, i) => m[Number(i)] ?? "");
  };
  // A refused time zone is PostgreSQL's CHECK: say what a time zone looks like.
  if (error.field === "timezone" && /not acceptable|not a valid/.test(error.message || "")) {
    return said("srv.format.timezone") || error.message;
  }
  for (const [re, key] of SERVER_MESSAGES) {
    const m = (error.message || "").match(re);
    if (m) return said(typeof key === "function" ? key(m) : key, m) || error.message;
  }
  return (SERVER_CODES[error.code] && said(SERVER_CODES[error.code])) || error.message;
}

export class ApiError extends Error {
  constructor(status, error, retryAfter) {
    super(ownerMessage(status, error, retryAfter));
    this.status = status;
    this.code = error ? error.code : "http";
    this.field = error ? error.field : null;
  }
}

export function setCsrf(token) {
  csrf = token;
}

// Called when a request finds the session gone (expired, logged out
// elsewhere, ended by a password change): the shell goes back to log-in.
export function onSessionLost(fn) {
  sessionLost = fn;
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-CSRF-Token"] = csrf;
  const resp = await fetch("/api" + path, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (resp.status === 204) return null;
  let data = null;
  try {
    data = await resp.json();
  } catch (e) {
    data = null;
  }
  if (!resp.ok) {
    const err = new ApiError(resp.status, data && data.error, resp.headers.get("Retry-After"));
    // A wrong password is a 401 too; only a missing session means "log in again".
    if (resp.status === 401 && err.code !== "bad_credentials" && sessionLost) sessionLost(err);
    throw err;
  }
  return data;
}

export const get = (path) => api("GET", path);
export const post = (path, body) => api("POST", path, body === undefined ? {} : body);
export const patch = (path, body) => api("PATCH", path, body);
export const put = (path, body) => api("PUT", path, body);
export const del = (path) => api("DELETE", path);
