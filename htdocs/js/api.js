// api.js: the dashboard's only door to the server — JSON over /api/ with the
// session cookie, the CSRF token on every change, errors as ApiError.

let csrf = null;
let sessionLost = null;

export class ApiError extends Error {
  constructor(status, error) {
    super(error && error.message ? error.message : `HTTP ${status}`);
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
    const err = new ApiError(resp.status, data && data.error);
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
