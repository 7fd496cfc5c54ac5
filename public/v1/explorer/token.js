// @ts-check
// The access token: OAuth 2.0 client credentials (POST /oauth/token with HTTP Basic), kept in
// this tab's session storage and shown in the top bar's badge.
import { API_ROOT, LOCAL_DEV, TOKEN_KEY, TOKEN_URL } from "./config.js";
import { h, reason, replace } from "./dom.js";
import { el } from "./elements.js";
import { base64, display, jwtClaims, parseJson, remaining, storage } from "./helpers.js";
import { navigate } from "./navigation.js";
import { state } from "./state.js";

/** @typedef {import("./state.js").Token} Token */
/** @typedef {import("./dom.js").Child} Child */
/**
 * What the token endpoint answers: a token, or an OAuth error.
 * @typedef {{ access_token?: unknown, scope?: string, expires_in?: unknown, error?: string, error_description?: string, message?: string }} TokenBody
 */

/** @param {Token | null} token */
const setToken = (token) => {
  state.token = token;
  storage.set(TOKEN_KEY, token);
  el.forgetToken.hidden = !token;
  updateTokenBadge();
};

const updateTokenBadge = () => {
  const t = state.token;
  if (!t) {
    el.tokenBadge.dataset.state = "none";
    el.tokenBadge.textContent = "No token";
    return;
  }
  const left = t.expiresAt - Date.now();
  el.tokenBadge.dataset.state = left > 0 ? "ok" : "expired";
  el.tokenBadge.textContent = left > 0 ? `Token: ${t.clientId} · ${remaining(left)} left` : `Token of ${t.clientId} expired`;
};

/**
 * @param {"error" | "info" | "success"} kind
 * @param {...Child} content
 */
const tokenMessage = (kind, ...content) =>
  replace(el.tokenStatus, h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : null }, ...content));

const toggleSecret = () => {
  const show = el.clientSecret.type === "password";
  el.clientSecret.type = show ? "text" : "password";
  el.toggleSecret.textContent = show ? "Hide" : "Show";
  el.toggleSecret.setAttribute("aria-pressed", String(show));
};

const forgetToken = () => {
  setToken(null);
  tokenMessage("info", "Token forgotten. Requests to /v1 will answer 401 until you get a new one.");
  el.clientSecret.focus();
};

/** The form's client id and secret; undefined (after saying which is missing) when one is empty. */
const readCredentials = () => {
  const id = el.clientId.value.trim();
  const secret = el.clientSecret.value;
  for (const [input, empty] of /** @type {const} */ ([
    [el.clientId, !id],
    [el.clientSecret, !secret],
  ]))
    input.setAttribute("aria-invalid", String(empty));
  if (!id || !secret) {
    tokenMessage("error", `Enter the ${!id ? "client ID" : "client secret"} of your application.`);
    (!id ? el.clientId : el.clientSecret).focus();
    return undefined;
  }
  return { id, secret };
};

/**
 * Asks the token endpoint; undefined (after saying so) when it cannot be reached.
 * @param {string} id
 * @param {string} secret
 */
const requestToken = async (id, secret) => {
  el.getToken.disabled = true;
  el.getToken.textContent = "Getting token…";
  try {
    // RFC 6749 §2.3.1: id and secret are form-encoded inside HTTP Basic. credentials "omit":
    // a 401 with `WWW-Authenticate: Basic` must not open the browser's own login prompt.
    const res = await fetch(TOKEN_URL, {
      method: "POST",
      credentials: "omit",
      cache: "no-store",
      headers: {
        Authorization: `Basic ${base64(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`,
        "Content-Type": "application/x-www-form-urlencoded",
        Accept: "application/json",
      },
      body: new URLSearchParams({ grant_type: "client_credentials" }),
    });
    return { res, text: await res.text() };
  } catch (err) {
    const message = /** @type {Error} */ (err).message;
    tokenMessage(
      "error",
      h("strong", {}, "Could not reach the token endpoint. "),
      `${display(TOKEN_URL.href)}: ${message}. Is the server running?`,
    );
    return undefined;
  } finally {
    el.getToken.disabled = false;
    el.getToken.textContent = "Get token";
  }
};

/**
 * Says why no token came: status, OAuth error and description, and what to do.
 * @param {Response} res
 * @param {string} text
 * @param {TokenBody | undefined} body
 */
const showTokenError = (res, text, body) => {
  const hint =
    res.status === 401
      ? "Check the client ID and secret (local dev: acme / acmesecret)."
      : res.status === 429
        ? `Too many attempts: wait${res.headers.get("Retry-After") ? ` ${res.headers.get("Retry-After")} s` : ""} and try again.`
        : "";
  tokenMessage(
    "error",
    h("strong", {}, `${res.status} ${reason(res.status, res.statusText)}`),
    body?.error ? [" · ", h("code", {}, body.error)] : null,
    h("br"),
    body?.error_description ?? body?.message ?? (text.slice(0, 300) || "The server answered without a token."),
    hint ? [h("br"), h("span", { class: "small" }, hint)] : null,
  );
  el.clientSecret.setAttribute("aria-invalid", String(res.status === 401));
  if (res.status === 401) el.clientSecret.focus();
};

/**
 * @param {string} clientId
 * @param {string} accessToken
 * @param {TokenBody} body
 */
const acceptToken = (clientId, accessToken, body) => {
  const claims = jwtClaims(accessToken);
  setToken({
    accessToken,
    scope: body.scope,
    expiresAt: Date.now() + (Number(body.expires_in) || 0) * 1000,
    clientId,
    applicationId: claims.application_id,
  });
  tokenMessage(
    "success",
    h("strong", {}, "Token received. "),
    `Scope `,
    h("code", {}, body.scope ?? "?"),
    `, valid ${remaining((Number(body.expires_in) || 0) * 1000)}.`,
  );
};

/** Carries on where a missing token stopped us, else starts at the API root. */
const carryOn = () => {
  const again = state.pending ?? (state.current?.status === 401 && state.current.method === "GET" ? state.current.url : null);
  state.pending = null;
  if (again) navigate(again, { replace: true });
  else if (!state.current) navigate(API_ROOT.href, { replace: !history.state?.url });
};

/** @param {SubmitEvent} e */
const onSubmit = async (e) => {
  e.preventDefault();
  const credentials = readCredentials();
  if (!credentials) return;
  const answer = await requestToken(credentials.id, credentials.secret);
  if (!answer) return;
  const body = /** @type {TokenBody | undefined} */ (parseJson(answer.text));
  const accessToken = body?.access_token;
  if (!answer.res.ok || !body || typeof accessToken !== "string") return showTokenError(answer.res, answer.text, body);
  acceptToken(credentials.id, accessToken, body);
  carryOn();
};

/** Takes up this tab's token, if it is still valid, and fills in the form. */
export const restoreToken = () => {
  const saved = /** @type {Token | null} */ (storage.get(TOKEN_KEY));
  if (saved?.accessToken && saved.expiresAt > Date.now()) setToken(saved);
  else setToken(null);
  if (state.token) el.clientId.value = state.token.clientId;
  else if (LOCAL_DEV) el.clientId.value = "acme";
  if (LOCAL_DEV) el.clientSecret.value = state.token && state.token.clientId !== "acme" ? "" : "acmesecret";
  if (!LOCAL_DEV) {
    el.clientId.placeholder = "your client id";
    el.clientSecret.placeholder = "your client secret";
  }
  if (state.token) tokenMessage("success", "Using the token from this tab's session.");
};

export const bindToken = () => {
  setInterval(updateTokenBadge, 30_000);
  el.toggleSecret.addEventListener("click", toggleSecret);
  el.forgetToken.addEventListener("click", forgetToken);
  el.tokenForm.addEventListener("submit", onSubmit);
};
