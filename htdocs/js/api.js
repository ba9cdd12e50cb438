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
  return error && error.message ? error.message : `${t("common.error")} (HTTP ${status})`;
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
