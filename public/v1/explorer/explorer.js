// The API Explorer: gets a client-credentials token, then browses the HAL graph from /v1 —
// following links, paging, filling templated links, sending POST/PUT/PATCH/DELETE with a JSON
// body — and shows the reference rendered from /v1/openapi.json. Same origin as the API, no
// framework, no build step, nothing fetched from anywhere else.
import { formatBytes, h, reason, replace } from "./dom.js";
import { jsonError } from "./json-check.js";
import { halLinks, renderJson } from "./json-view.js";
import { exampleFor, filterReference, jsonBodySchema, matchPath, operationId, renderReference, resolve } from "./reference.js";
import { expandTemplate, templateVariables } from "./uri-template.js";

// Relative to this page (…/v1/explorer/), so a deployment under a path prefix works too.
const API_ROOT = new URL("../../v1", location.href);
const TOKEN_URL = new URL("../../oauth/token", location.href);
const SPEC_URL = new URL("../openapi.json", location.href);

const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);
const LOCAL_DEV = /^(localhost|127(\.\d+){3}|\[::1\]|.+\.localhost)$/.test(location.hostname);
const TOKEN_KEY = "kitty-edge.explorer.token";
const HISTORY_KEY = "kitty-edge.explorer.history";
const HISTORY_LIMIT = 30;

const $ = (id) => document.getElementById(id);
const el = {
  tabs: [$("tab-explorer"), $("tab-reference")],
  views: { explorer: $("view-explorer"), reference: $("view-reference") },
  tokenForm: $("token-form"),
  clientId: $("client-id"),
  clientSecret: $("client-secret"),
  toggleSecret: $("toggle-secret"),
  getToken: $("get-token"),
  forgetToken: $("forget-token"),
  tokenStatus: $("token-status"),
  tokenBadge: $("token-badge"),
  history: $("history"),
  historyEmpty: $("history-empty"),
  clearHistory: $("clear-history"),
  requestForm: $("request-form"),
  back: $("back"),
  forward: $("forward"),
  method: $("method"),
  url: $("url"),
  send: $("send"),
  hint: $("operation-hint"),
  bodyEditor: $("body-editor"),
  body: $("body"),
  bodyFeedback: $("body-feedback"),
  formatBody: $("format-body"),
  exampleBody: $("example-body"),
  response: $("response"),
  responseContent: $("response-content"),
  refFilter: $("ref-filter"),
  refToc: $("ref-toc"),
  refContent: $("ref-content"),
  dialog: $("template-dialog"),
  templateForm: $("template-form"),
  templateRel: $("template-rel"),
  templateHref: $("template-href"),
  templateFields: $("template-fields"),
  templatePreview: $("template-preview"),
  templateCancel: $("template-cancel"),
};

const state = {
  /** {accessToken, scope, expiresAt, clientId, applicationId} */
  token: null,
  spec: null,
  specError: null,
  /** [{method, url, body, status, at}], newest first */
  history: [],
  /** the response on screen */
  current: null,
  /** position in the browser history of this tab's explorer entries (for the back/forward buttons) */
  seq: 0,
  maxSeq: 0,
  inflight: null,
  /** a GET asked for (hash) before there was a token */
  pending: null,
  tab: "explorer",
};

// ── small helpers ────────────────────────────────────────────────────────────────────────────

/** What the URL field shows: a path for this origin, else the whole URL. */
const display = (href) => {
  const u = new URL(href, location.href);
  return u.origin === location.origin ? `${u.pathname}${u.search}` : u.href;
};
const resolveUrl = (input) => new URL(input.trim(), `${location.origin}/`);
const sameOrigin = (href) => {
  try {
    return new URL(href, location.href).origin === location.origin;
  } catch {
    return false;
  }
};
const isEditable = (t) => t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
const methodBadge = (method) => h("span", { class: `method m-${method.toLowerCase()}` }, method);
const statusClass = (status) => (status >= 500 ? "server" : status >= 400 ? "client" : status >= 300 ? "redirect" : status >= 200 ? "ok" : "");
const base64 = (s) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));
const jwtClaims = (jwt) => {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part.padEnd(Math.ceil(part.length / 4) * 4, "=")), (c) => c.charCodeAt(0))));
  } catch {
    return {};
  }
};
const storage = {
  get: (key) => {
    try {
      return JSON.parse(sessionStorage.getItem(key) ?? "null");
    } catch {
      return null;
    }
  },
  set: (key, value) => {
    try {
      if (value === null) sessionStorage.removeItem(key);
      else sessionStorage.setItem(key, JSON.stringify(value));
    } catch {
      /* storage unavailable (private mode): the explorer still works for this page */
    }
  },
};
const remaining = (ms) => {
  const min = Math.max(0, Math.round(ms / 60000));
  return min >= 60 ? `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, "0")} min` : `${min} min`;
};

// ── tabs ─────────────────────────────────────────────────────────────────────────────────────

const showTab = (name, { focus = false, updateHash = true } = {}) => {
  state.tab = name;
  for (const tab of el.tabs) {
    const selected = tab.getAttribute("aria-controls") === `view-${name}`;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    if (selected && focus) tab.focus();
  }
  for (const [key, view] of Object.entries(el.views)) view.hidden = key !== name;
  if (name === "reference") {
    ensureSpec().then(renderSpec);
    if (updateHash && !location.hash.startsWith("#reference")) history.replaceState(history.state, "", "#reference");
  } else if (updateHash && location.hash.startsWith("#reference")) {
    const url = history.state?.url;
    history.replaceState(history.state, "", url ? `#${display(url)}` : location.pathname + location.search);
  }
};

for (const tab of el.tabs) {
  tab.addEventListener("click", () => showTab(tab.id === "tab-reference" ? "reference" : "explorer"));
  tab.addEventListener("keydown", (e) => {
    if (!["ArrowLeft", "ArrowRight", "Home", "End"].includes(e.key)) return;
    e.preventDefault();
    const next = e.key === "Home" ? 0 : e.key === "End" ? 1 : (el.tabs.indexOf(tab) + 1) % 2;
    showTab(next === 1 ? "reference" : "explorer", { focus: true });
  });
}

// ── access token ─────────────────────────────────────────────────────────────────────────────

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
setInterval(updateTokenBadge, 30_000);

const tokenMessage = (kind, ...content) =>
  replace(el.tokenStatus, h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : null }, ...content));

el.toggleSecret.addEventListener("click", () => {
  const show = el.clientSecret.type === "password";
  el.clientSecret.type = show ? "text" : "password";
  el.toggleSecret.textContent = show ? "Hide" : "Show";
  el.toggleSecret.setAttribute("aria-pressed", String(show));
});

el.forgetToken.addEventListener("click", () => {
  setToken(null);
  tokenMessage("info", "Token forgotten. Requests to /v1 will answer 401 until you get a new one.");
  el.clientSecret.focus();
});

el.tokenForm.addEventListener("submit", async (e) => {
  e.preventDefault();
  const id = el.clientId.value.trim();
  const secret = el.clientSecret.value;
  for (const [input, empty] of [
    [el.clientId, !id],
    [el.clientSecret, !secret],
  ]) input.setAttribute("aria-invalid", String(empty));
  if (!id || !secret) {
    tokenMessage("error", `Enter the ${!id ? "client ID" : "client secret"} of your application.`);
    (!id ? el.clientId : el.clientSecret).focus();
    return;
  }
  el.getToken.disabled = true;
  el.getToken.textContent = "Getting token…";
  let res;
  let text = "";
  try {
    // RFC 6749 §2.3.1: id and secret are form-encoded inside HTTP Basic. credentials "omit":
    // a 401 with `WWW-Authenticate: Basic` must not open the browser's own login prompt.
    res = await fetch(TOKEN_URL, {
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
    text = await res.text();
  } catch (err) {
    tokenMessage("error", h("strong", {}, "Could not reach the token endpoint. "), `${display(TOKEN_URL.href)}: ${err.message}. Is the server running?`);
    return;
  } finally {
    el.getToken.disabled = false;
    el.getToken.textContent = "Get token";
  }
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok || typeof body?.access_token !== "string") {
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
    return;
  }
  const claims = jwtClaims(body.access_token);
  setToken({
    accessToken: body.access_token,
    scope: body.scope,
    expiresAt: Date.now() + (Number(body.expires_in) || 0) * 1000,
    clientId: id,
    applicationId: claims.application_id,
  });
  tokenMessage(
    "success",
    h("strong", {}, "Token received. "),
    `Scope `,
    h("code", {}, body.scope ?? "?"),
    `, valid ${remaining((Number(body.expires_in) || 0) * 1000)}.`,
  );
  // Carry on where a missing token stopped us, else start at the API root.
  const again = state.pending ?? (state.current?.status === 401 && state.current.method === "GET" ? state.current.url : null);
  state.pending = null;
  if (again) navigate(again, { replace: true });
  else if (!state.current) navigate(API_ROOT.href, { replace: !history.state?.url });
});

// ── request bar ──────────────────────────────────────────────────────────────────────────────

const setMethod = (method) => {
  el.method.value = method;
  onMethodChange();
};

const onMethodChange = () => {
  const withBody = BODY_METHODS.has(el.method.value);
  el.bodyEditor.hidden = !withBody;
  el.method.dataset.method = el.method.value.toLowerCase();
  if (withBody) validateBody();
  updateHint();
};
el.method.addEventListener("change", onMethodChange);

const feedback = (kind, text) => {
  el.bodyFeedback.dataset.kind = kind;
  el.bodyFeedback.textContent = text;
  el.body.setAttribute("aria-invalid", String(kind === "error"));
};

/** Checks the body editor; true when it may be sent. */
const validateBody = () => {
  const text = el.body.value;
  if (!text.trim()) {
    feedback("info", "Empty: the request is sent without a body.");
    return true;
  }
  try {
    const value = JSON.parse(text);
    if (value && typeof value === "object" && !Array.isArray(value)) feedback("ok", "✓ Valid JSON");
    else feedback("warn", "Valid JSON, but not an object: the API will answer 400.");
    return true;
  } catch (err) {
    const at = jsonError(text);
    feedback("error", at ? `✗ Not valid JSON (line ${at.line}, column ${at.column}): ${at.message}` : `✗ Not valid JSON: ${err.message}`);
    return false;
  }
};
el.body.addEventListener("input", validateBody);
el.formatBody.addEventListener("click", () => {
  if (!validateBody() || !el.body.value.trim()) return el.body.focus();
  el.body.value = JSON.stringify(JSON.parse(el.body.value), null, 2);
  validateBody();
  el.body.focus();
});

/** The documented operation the request bar points at, if the spec knows it. */
const currentOperation = () => {
  if (!state.spec) return undefined;
  const match = matchPath(state.spec, el.url.value.trim() || "/");
  if (!match) return undefined;
  return { ...match, op: match.item[el.method.value.toLowerCase()] };
};

const updateHint = () => {
  const found = currentOperation();
  el.exampleBody.hidden = true;
  if (!found) return replace(el.hint);
  const { path, item, op } = found;
  if (!op) {
    const methods = ["get", "post", "put", "patch", "delete"].filter((m) => item[m]).map((m) => m.toUpperCase());
    return replace(el.hint, h("span", { class: "warn-text" }, `${el.method.value} is not documented for ${path}; it takes ${methods.join(", ")}.`));
  }
  const schema = jsonBodySchema(op);
  if (schema && BODY_METHODS.has(el.method.value)) {
    el.exampleBody.hidden = false;
    const example = exampleFor(state.spec, schema);
    el.body.placeholder = example === undefined ? "" : JSON.stringify(example, null, 2);
  }
  const id = operationId(el.method.value.toLowerCase(), path);
  replace(
    el.hint,
    h("span", { class: "muted" }, op.summary ?? ""),
    schema && BODY_METHODS.has(el.method.value) ? h("span", { class: "muted" }, ` · body: ${schema.$ref ? schema.$ref.split("/").pop() : "JSON"}`) : null,
    " · ",
    h("a", { href: `#reference:${id}`, onclick: (e) => (e.preventDefault(), jumpToReference(id)) }, "Reference"),
  );
};
let hintTimer;
el.url.addEventListener("input", () => {
  clearTimeout(hintTimer);
  hintTimer = setTimeout(updateHint, 150);
});

el.exampleBody.addEventListener("click", () => {
  const found = currentOperation();
  const schema = found?.op && jsonBodySchema(found.op);
  if (!schema) return;
  el.body.value = JSON.stringify(exampleFor(state.spec, schema) ?? {}, null, 2);
  validateBody();
  el.body.focus();
});

el.requestForm.addEventListener("submit", (e) => {
  e.preventDefault();
  submitRequest();
});
el.requestForm.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    submitRequest();
  } else if (e.key === "Enter" && e.target === el.method) {
    e.preventDefault();
    submitRequest();
  }
});

const requestError = (...content) => {
  replace(el.hint, h("span", { class: "error-text", role: "alert" }, ...content));
};

const submitRequest = () => {
  const method = el.method.value;
  const raw = el.url.value.trim();
  if (!raw) {
    requestError("Enter a URL, e.g. /v1.");
    return el.url.focus();
  }
  const placeholder = /\{[^}]*\}/.exec(raw);
  if (placeholder) {
    requestError(`Fill in ${placeholder[0]} in the URL first.`);
    el.url.focus();
    el.url.setSelectionRange(placeholder.index, placeholder.index + placeholder[0].length);
    return;
  }
  let url;
  try {
    url = resolveUrl(raw);
  } catch {
    requestError(`“${raw}” is not a URL.`);
    return el.url.focus();
  }
  if (BODY_METHODS.has(method) && !validateBody()) {
    el.body.focus();
    return;
  }
  if (method === "GET") navigate(url.href);
  else send({ method, url: url.href, body: BODY_METHODS.has(method) ? el.body.value : undefined });
};

// ── navigation (GETs are browser history entries: #/v1/…) ─────────────────────────────────────

const updateNavButtons = () => {
  el.back.disabled = state.seq <= 0;
  el.forward.disabled = state.seq >= state.maxSeq;
};
el.back.addEventListener("click", () => history.back());
el.forward.addEventListener("click", () => history.forward());

/** GET `href` as a new history entry (or replacing the current one). */
const navigate = (href, { replace: replaceEntry = false, focusResponse = false } = {}) => {
  const url = resolveUrl(href).href;
  const hash = `#${display(url)}`;
  if (replaceEntry) {
    history.replaceState({ n: state.seq, url }, "", hash);
  } else {
    state.seq += 1;
    state.maxSeq = state.seq;
    history.pushState({ n: state.seq, url }, "", hash);
  }
  updateNavButtons();
  showTab("explorer", { updateHash: false });
  return send({ method: "GET", url, focusResponse });
};

window.addEventListener("popstate", (e) => {
  state.seq = e.state?.n ?? 0;
  if (!e.state) state.maxSeq = state.seq; // a new entry (the hash was edited): nothing ahead
  updateNavButtons();
  route({ fromPop: true });
});

/** Shows what the address bar's hash names: a GET (#/v1/…) or the reference (#reference:id). */
const route = () => {
  const hash = decodeURIComponent(location.hash.slice(1));
  if (hash.startsWith("reference")) {
    showTab("reference", { updateHash: false });
    const id = hash.split(":")[1];
    if (id) ensureSpec().then(() => jumpToReference(id, { updateHash: false }));
    return;
  }
  showTab("explorer", { updateHash: false });
  const url = history.state?.url ?? (hash.startsWith("/") ? resolveUrl(hash).href : null);
  if (!url) return;
  if (!history.state?.url) history.replaceState({ n: state.seq, url }, "", `#${display(url)}`);
  if (!state.token) {
    state.pending = url;
    el.url.value = display(url);
    renderNeedsToken(url);
    return;
  }
  send({ method: "GET", url });
};

// ── sending and showing responses ─────────────────────────────────────────────────────────────

const send = async ({ method, url, body, focusResponse = false }) => {
  el.method.value = method;
  if (method === "GET") el.url.value = display(url);
  onMethodChange();
  const headers = { Accept: "application/hal+json, application/json;q=0.9, */*;q=0.1" };
  if (state.token && sameOrigin(url)) headers.Authorization = `Bearer ${state.token.accessToken}`;
  const payload = body !== undefined && body.trim() ? body : undefined;
  if (payload !== undefined) headers["Content-Type"] = "application/json";

  state.inflight?.abort();
  const controller = new AbortController();
  state.inflight = controller;
  el.response.setAttribute("aria-busy", "true");
  el.response.classList.add("loading");
  el.send.disabled = true;
  const started = performance.now();
  let res;
  let text;
  try {
    res = await fetch(url, { method, headers, body: payload, signal: controller.signal, credentials: "omit", cache: "no-store" });
    text = await res.text();
  } catch (err) {
    if (err.name === "AbortError") return;
    addHistory({ method, url, body: payload, status: 0 });
    renderNetworkError({ method, url, err });
    return;
  } finally {
    if (state.inflight === controller) {
      state.inflight = null;
      el.response.setAttribute("aria-busy", "false");
      el.response.classList.remove("loading");
      el.send.disabled = false;
    }
  }
  let json;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  const result = {
    method,
    url,
    requestBody: payload,
    status: res.status,
    statusText: res.statusText,
    headers: [...res.headers],
    contentType: res.headers.get("content-type") ?? "",
    text,
    json,
    ms: Math.round(performance.now() - started),
    size: new TextEncoder().encode(text).length,
  };
  state.current = result;
  addHistory({ method, url, body: payload, status: res.status });
  renderResponse(result);
  if (focusResponse) $("response-status")?.focus();
};

const linkTo = (link, rel, { chip = false, text } = {}) => {
  const label = text ?? (chip ? rel : JSON.stringify(link.href));
  const title = link.title ? ` — ${link.title}` : "";
  if (link.templated) {
    return h(
      "button",
      {
        type: "button",
        class: chip ? "rel-chip templated" : "j-link templated",
        "aria-haspopup": "dialog",
        title: `Fill in the template and GET it${title}`,
        onclick: (e) => openTemplate(link, rel, e.currentTarget),
      },
      label,
      chip ? h("span", { class: "template-mark", "aria-hidden": "true" }, "{…}") : null,
    );
  }
  if (!sameOrigin(link.href)) {
    return h("a", { class: chip ? "rel-chip external" : "j-link external", href: link.href, target: "_blank", rel: "noopener noreferrer", title: `Opens ${link.href} in a new tab${title}` }, label);
  }
  return h(
    "a",
    {
      class: chip ? "rel-chip" : "j-link",
      href: `#${display(link.href)}`,
      title: `GET ${display(link.href)}${title}`,
      onclick: (e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.altKey || e.button !== 0) return;
        e.preventDefault();
        navigate(link.href, { focusResponse: true });
      },
    },
    label,
  );
};

const errorNotice = (r) => {
  const j = r.json && typeof r.json === "object" ? r.json : {};
  const props = j.properties && typeof j.properties === "object" ? Object.entries(j.properties) : [];
  const hints = {
    401: [
      state.token ? "The token is missing, expired or not valid here. " : "There is no access token yet. ",
      h("button", { type: "button", class: "link-button", onclick: () => el.clientSecret.focus() }, "Get a new token"),
    ],
    404: "Nothing here, or it belongs to another application.",
    405: `This URL takes ${r.headers.find(([k]) => k === "allow")?.[1] ?? "other methods"}.`,
    406: "The API only answers JSON.",
    413: "The body is larger than the server accepts.",
    415: "Send the body as JSON (the explorer sets Content-Type: application/json when there is a body).",
    429: `Rate limited${r.headers.find(([k]) => k === "retry-after") ? `: retry in ${r.headers.find(([k]) => k === "retry-after")[1]} s` : ""}.`,
  };
  return h(
    "div",
    { class: `notice ${r.status >= 500 ? "error" : "warning"}`, role: "alert" },
    h("p", {}, h("strong", {}, j.error ?? `${r.status} ${reason(r.status, r.statusText)}`), j.message || j.error_description ? [" — ", j.message ?? j.error_description] : null),
    props.length
      ? h(
          "ul",
          { class: "error-props" },
          props.map(([k, v]) => h("li", {}, h("code", {}, k), ": ", typeof v === "string" ? v : JSON.stringify(v))),
        )
      : null,
    hints[r.status] ? h("p", { class: "small" }, hints[r.status]) : null,
  );
};

const successNotice = (r) => {
  const location_ = r.headers.find(([k]) => k === "location")?.[1];
  if (r.method === "POST" && r.status === 201) {
    return h("div", { class: "notice success" }, h("strong", {}, "Created."), location_ ? [" Location: ", linkTo({ href: location_ }, "location", { text: display(location_) })] : null);
  }
  if (r.method === "DELETE" && r.status < 300) return h("div", { class: "notice success" }, h("strong", {}, "Deleted."), " The body is the resource it belonged to.");
  if ((r.method === "PUT" || r.method === "PATCH") && r.status < 300) return h("div", { class: "notice success" }, h("strong", {}, "Saved."));
  return null;
};

/** First/previous/next/last buttons for a page resource, with where we are. */
const pager = (r) => {
  const links = r.json?._links;
  if (!links || !["first", "prev", "next", "last"].some((k) => links[k]?.href)) return null;
  const page = r.json.page ?? {};
  const embedded = Object.entries(r.json._embedded ?? {}).find(([, v]) => Array.isArray(v));
  const numbered = page.totalPages !== undefined;
  const label = numbered
    ? `Page ${Number(page.number) + 1} of ${Math.max(1, page.totalPages)} · ${page.totalElements} ${embedded?.[0] ?? "items"} · ${page.size} per page`
    : `${embedded ? embedded[1].length : (page.size ?? 0)} ${embedded?.[0] ?? "items"} on this page`;
  const button = (rel, text, key) =>
    h(
      "button",
      {
        type: "button",
        class: "ghost",
        "data-rel": rel,
        disabled: !links[rel]?.href || (rel === "first" && !links.prev) || (rel === "last" && !links.next),
        "aria-keyshortcuts": key,
        onclick: () => navigate(links[rel].href, { focusResponse: true }),
      },
      text,
    );
  return h(
    "nav",
    { class: "pager", "aria-label": "Pages" },
    numbered ? button("first", "« First") : null,
    button("prev", "‹ Previous", "["),
    h("span", { class: "page-label", id: "page-label" }, label),
    button("next", "Next ›", "]"),
    numbered ? button("last", "Last »") : null,
  );
};

const curlCommand = (r) => {
  const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
  const parts = [`curl -s -X ${r.method} ${q(r.url)}`, `-H ${q("Authorization: Bearer $TOKEN")}`];
  if (r.requestBody !== undefined) parts.push(`-H ${q("Content-Type: application/json")}`, `--data-raw ${q(r.requestBody)}`);
  return parts.join(" \\\n  ");
};

const copyButton = (label, text) =>
  h(
    "button",
    {
      type: "button",
      class: "ghost small",
      onclick: async (e) => {
        const button = e.currentTarget;
        try {
          await navigator.clipboard.writeText(text());
          button.textContent = "Copied";
        } catch {
          button.textContent = "Copy failed";
        }
        setTimeout(() => (button.textContent = label), 1500);
      },
    },
    label,
  );

/** Tells screen readers what came back, without reading the whole body. */
const announce = (text) => {
  $("announcer").textContent = text;
};

const renderResponse = (r) => {
  announce(`${r.status} ${reason(r.status, r.statusText)} for ${r.method} ${display(r.url)}`);
  const links = halLinks(r.json);
  const body =
    r.json !== undefined
      ? renderJson(r.json, { linkFor: (link, rel) => linkTo(link, rel) })
      : r.text
        ? h("pre", { class: "raw", tabindex: "0", "aria-label": "Response body" }, r.text)
        : h("p", { class: "muted" }, "No body.");
  replace(
    el.responseContent,
    h(
      "div",
      { class: "status-line" },
      h("h3", { id: "response-status", class: `status-pill ${statusClass(r.status)}`, tabindex: "-1" }, `${r.status} ${reason(r.status, r.statusText)}`),
      h("span", { class: "status-request" }, methodBadge(r.method), " ", h("code", {}, display(r.url))),
      h("span", { class: "muted meta" }, `${r.ms} ms · ${formatBytes(r.size)}${r.contentType ? ` · ${r.contentType.split(";")[0]}` : ""}`),
      h("span", { class: "spacer" }),
      copyButton("Copy as curl", () => curlCommand(r)),
    ),
    r.status >= 400 ? errorNotice(r) : successNotice(r),
    pager(r),
    links.length
      ? h(
          "section",
          { class: "links", "aria-labelledby": "links-title" },
          h("h4", { id: "links-title" }, "Links"),
          h(
            "ul",
            { class: "link-list", id: "links" },
            links.map(({ rel, link }) => h("li", {}, linkTo(link, rel, { chip: true }))),
          ),
        )
      : null,
    h(
      "details",
      { class: "headers" },
      h("summary", {}, "Response headers ", h("span", { class: "muted" }, `(${r.headers.length})`)),
      h(
        "table",
        {},
        h(
          "tbody",
          {},
          r.headers.map(([name, value]) =>
            h("tr", {}, h("th", { scope: "row" }, name), h("td", {}, name === "location" && sameOrigin(value) ? linkTo({ href: value }, "location", { text: value }) : value)),
          ),
        ),
      ),
    ),
    h("div", { class: "body-head" }, h("h4", {}, "Body"), r.json !== undefined ? copyButton("Copy JSON", () => JSON.stringify(r.json, null, 2)) : null),
    body,
  );
};

const renderNetworkError = ({ method, url, err }) => {
  state.current = null;
  announce(`No response for ${method} ${display(url)}: ${err.message}`);
  replace(
    el.responseContent,
    h(
      "div",
      { class: "status-line" },
      h("h3", { id: "response-status", class: "status-pill server", tabindex: "-1" }, "No response"),
      h("span", { class: "status-request" }, methodBadge(method), " ", h("code", {}, display(url))),
    ),
    h(
      "div",
      { class: "notice error", role: "alert" },
      h("p", {}, h("strong", {}, "The request did not reach the server. "), err.message),
      h("p", { class: "small" }, sameOrigin(url) ? "Is the server (npm run dev) still running?" : "Other origins must allow this page with CORS; the explorer is meant for this server's own links."),
    ),
  );
};

const renderNeedsToken = (url) =>
  replace(
    el.responseContent,
    h(
      "div",
      { class: "notice info" },
      h("p", {}, h("strong", {}, "Get an access token first. "), "Then the explorer loads ", h("code", {}, display(url)), "."),
    ),
  );

// ── templated links ──────────────────────────────────────────────────────────────────────────

let templateState = null;

/** Descriptions of a template's query parameters from the OpenAPI document, when it has them. */
const templateParamDocs = (href) => {
  if (!state.spec) return {};
  const match = matchPath(state.spec, href.replace(/\{[^}]*\}/g, ""));
  const params = [...(match?.item.parameters ?? []), ...(match?.item.get?.parameters ?? [])].map((p) => resolve(state.spec, p));
  return Object.fromEntries(params.map((p) => [p.name, p]));
};

const openTemplate = (link, rel, opener) => {
  const variables = templateVariables(link.href);
  const docs = templateParamDocs(link.href);
  templateState = { link, variables, opener };
  el.templateRel.textContent = rel;
  // Shown as sent (URL parsing would percent-encode the braces).
  el.templateHref.textContent = link.href.startsWith(location.origin) ? link.href.slice(location.origin.length) : link.href;
  replace(
    el.templateFields,
    variables.map((v, i) => {
      const doc = docs[v.name];
      const schema = doc ? resolve(state.spec, doc.schema) : {};
      const hintId = `tpl-hint-${i}`;
      return h(
        "div",
        { class: "field" },
        h("label", { for: `tpl-${i}` }, v.name),
        h("input", {
          id: `tpl-${i}`,
          name: v.name,
          autocomplete: "off",
          spellcheck: "false",
          placeholder: schema.example !== undefined ? String(schema.example) : schema.default !== undefined ? String(schema.default) : "",
          "aria-describedby": doc?.description ? hintId : null,
          oninput: updateTemplatePreview,
        }),
        doc?.description ? h("p", { class: "muted small", id: hintId }, doc.description) : null,
      );
    }),
  );
  updateTemplatePreview();
  el.dialog.showModal();
  el.templateFields.querySelector("input")?.focus();
};

const templateValues = () =>
  Object.fromEntries([...el.templateFields.querySelectorAll("input")].map((input) => [input.name, input.value.trim()]));

const updateTemplatePreview = () => {
  if (templateState) el.templatePreview.textContent = display(expandTemplate(templateState.link.href, templateValues()));
};

el.templateForm.addEventListener("submit", (e) => {
  e.preventDefault();
  if (!templateState) return;
  const href = expandTemplate(templateState.link.href, templateValues());
  templateState.opener = null;
  el.dialog.close();
  navigate(href, { focusResponse: true });
});
el.templateCancel.addEventListener("click", () => el.dialog.close());
el.dialog.addEventListener("close", () => {
  templateState?.opener?.focus();
  templateState = null;
});

// ── history ──────────────────────────────────────────────────────────────────────────────────

const addHistory = (entry) => {
  state.history.unshift({ ...entry, at: Date.now() });
  state.history.length = Math.min(state.history.length, HISTORY_LIMIT);
  storage.set(HISTORY_KEY, state.history);
  renderHistory();
};

const renderHistory = () => {
  el.historyEmpty.hidden = state.history.length > 0;
  el.clearHistory.hidden = state.history.length === 0;
  replace(
    el.history,
    state.history.map((item, i) =>
      h(
        "li",
        {},
        h(
          "button",
          {
            type: "button",
            class: "history-item",
            title: item.method === "GET" ? `GET ${display(item.url)} again` : `Put this ${item.method} back into the request bar`,
            onclick: () => {
              if (item.method === "GET") return navigate(item.url);
              el.method.value = item.method;
              el.url.value = display(item.url);
              el.body.value = item.body ?? "";
              onMethodChange();
              el.send.focus();
            },
          },
          methodBadge(item.method),
          h("span", { class: "history-url" }, display(item.url).replace(/^\/v1\/applications\/\d+(?=[/?])/, "…")),
          h("span", { class: `status-pill small ${statusClass(item.status)}` }, item.status ? String(item.status) : "ERR"),
        ),
      ),
    ),
  );
};

el.clearHistory.addEventListener("click", () => {
  state.history = [];
  storage.set(HISTORY_KEY, null);
  renderHistory();
  el.url.focus();
});

// ── reference ────────────────────────────────────────────────────────────────────────────────

let specPromise = null;
const ensureSpec = () => {
  specPromise ??= fetch(SPEC_URL, { headers: { Accept: "application/json" } })
    .then(async (res) => {
      if (!res.ok) throw new Error(`${res.status} ${reason(res.status, res.statusText)} from ${display(SPEC_URL.href)}`);
      state.spec = await res.json();
      state.specError = null;
      updateHint();
      return state.spec;
    })
    .catch((err) => {
      state.specError = err;
      specPromise = null;
      return null;
    });
  return specPromise;
};

let renderedSpec = null;
const renderSpec = () => {
  if (state.specError && !state.spec) {
    replace(
      el.refContent,
      h(
        "div",
        { class: "notice error", role: "alert" },
        h("p", {}, h("strong", {}, "Could not load the OpenAPI document. "), state.specError.message),
        h("button", { type: "button", onclick: () => ensureSpec().then(renderSpec) }, "Try again"),
      ),
    );
    return;
  }
  if (!state.spec || renderedSpec === state.spec) return;
  renderedSpec = state.spec;
  renderReference(state.spec, { content: el.refContent, toc: el.refToc }, { onTry: tryOperation, onJump: (id) => jumpToReference(id) });
  filterReference({ content: el.refContent, toc: el.refToc }, el.refFilter.value);
};

const jumpToReference = (id, { updateHash = true } = {}) => {
  showTab("reference", { updateHash: false });
  ensureSpec().then(() => {
    renderSpec();
    const target = document.getElementById(id);
    if (!target) return;
    if (target.hidden) {
      el.refFilter.value = "";
      filterReference({ content: el.refContent, toc: el.refToc }, "");
    }
    if (updateHash) history.replaceState(history.state, "", `#reference:${id}`);
    target.scrollIntoView({ block: "start" });
    (target.querySelector("[tabindex='-1']") ?? target).focus({ preventScroll: true });
  });
};

el.refFilter.addEventListener("input", () => filterReference({ content: el.refContent, toc: el.refToc }, el.refFilter.value));

const tryOperation = ({ method, path, op }) => {
  let prefix = "";
  try {
    prefix = new URL(state.spec.servers?.[0]?.url ?? "/", location.href).pathname.replace(/\/+$/, "");
  } catch {
    /* no prefix */
  }
  const applicationId = state.token?.applicationId;
  const url = prefix + (applicationId ? path.replace("{applicationId}", String(applicationId)) : path);
  el.method.value = method;
  el.url.value = url;
  const schema = jsonBodySchema(op);
  if (schema && BODY_METHODS.has(method)) el.body.value = JSON.stringify(exampleFor(state.spec, schema) ?? {}, null, 2);
  onMethodChange();
  showTab("explorer");
  const placeholder = /\{[^}]*\}/.exec(url);
  el.url.focus();
  if (placeholder) {
    el.url.setSelectionRange(placeholder.index, placeholder.index + placeholder[0].length);
    replace(el.hint, h("span", { class: "warn-text" }, `Replace ${placeholder[0]} (selected), then press Enter.`));
  } else {
    el.url.setSelectionRange(url.length, url.length);
  }
};

// ── global keys ──────────────────────────────────────────────────────────────────────────────

document.addEventListener("keydown", (e) => {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isEditable(e.target) || el.dialog.open) return;
  if (e.key === "/") {
    e.preventDefault();
    if (state.tab === "reference") return el.refFilter.focus();
    el.url.focus();
    el.url.select();
  } else if ((e.key === "[" || e.key === "]") && state.tab === "explorer") {
    const button = el.responseContent.querySelector(`.pager [data-rel="${e.key === "[" ? "prev" : "next"}"]`);
    if (button && !button.disabled) {
      e.preventDefault();
      button.click();
    }
  }
});

// ── start ────────────────────────────────────────────────────────────────────────────────────

const start = () => {
  const saved = storage.get(TOKEN_KEY);
  if (saved?.accessToken && saved.expiresAt > Date.now()) setToken(saved);
  else setToken(null);
  state.history = Array.isArray(storage.get(HISTORY_KEY)) ? storage.get(HISTORY_KEY) : [];
  renderHistory();

  if (state.token) el.clientId.value = state.token.clientId;
  else if (LOCAL_DEV) el.clientId.value = "acme";
  if (LOCAL_DEV) el.clientSecret.value = state.token && state.token.clientId !== "acme" ? "" : "acmesecret";
  if (!LOCAL_DEV) {
    el.clientId.placeholder = "your client id";
    el.clientSecret.placeholder = "your client secret";
  }
  if (state.token) tokenMessage("success", "Using the token from this tab's session.");

  state.seq = history.state?.n ?? 0;
  state.maxSeq = state.seq;
  updateNavButtons();
  onMethodChange();
  ensureSpec();
  route();
  if (!location.hash && state.token) navigate(API_ROOT.href, { replace: true });
};

start();
