// @ts-check
// The request bar: method and URL (with a hint naming the documented operation), the JSON body
// editor (checked as you type), and sending: Enter in the URL field, Ctrl/⌘+Enter anywhere in it.
import { BODY_METHODS } from "./config.js";
import { h, replace } from "./dom.js";
import { el } from "./elements.js";
import { resolveUrl } from "./helpers.js";
import { jsonError } from "./json-check.js";
import { navigate } from "./navigation.js";
import { exampleFor, jsonBodySchema, matchPath, operationId, operationOf } from "./openapi.js";
import { jumpToReference } from "./reference-tab.js";
import { send } from "./send.js";
import { state } from "./state.js";

/** @typedef {import("./openapi.js").PathItem} PathItem */
/** @typedef {import("./openapi.js").Schema} Schema */
/** @typedef {import("./openapi.js").Spec} Spec */
/** @typedef {import("./dom.js").Child} Child */

export const onMethodChange = () => {
  const withBody = BODY_METHODS.has(el.method.value);
  el.bodyEditor.hidden = !withBody;
  el.method.dataset.method = el.method.value.toLowerCase();
  if (withBody) validateBody();
  updateHint();
};

// ── body editor ──────────────────────────────────────────────────────────────────────────────

/**
 * @param {"info" | "ok" | "warn" | "error"} kind
 * @param {string} text
 */
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
    feedback(
      "error",
      at
        ? `✗ Not valid JSON (line ${at.line}, column ${at.column}): ${at.message}`
        : `✗ Not valid JSON: ${/** @type {Error} */ (err).message}`,
    );
    return false;
  }
};

const formatBody = () => {
  if (!validateBody() || !el.body.value.trim()) return el.body.focus();
  el.body.value = JSON.stringify(JSON.parse(el.body.value), null, 2);
  validateBody();
  el.body.focus();
};

// ── the operation hint ───────────────────────────────────────────────────────────────────────

/** The documented operation the request bar points at, if the spec knows it. */
const currentOperation = () => {
  const spec = state.spec;
  if (!spec) return undefined;
  const match = matchPath(spec, el.url.value.trim() || "/");
  if (!match) return undefined;
  return { spec, ...match, op: operationOf(match.item, el.method.value.toLowerCase()) };
};

/**
 * The methods a documented path takes, e.g. "GET, POST".
 * @param {PathItem} item
 */
const documentedMethods = (item) =>
  /** @type {const} */ (["get", "post", "put", "patch", "delete"])
    .filter((m) => item[m])
    .map((m) => m.toUpperCase())
    .join(", ");

/**
 * Offers the operation's example body (button and placeholder).
 * @param {Spec} spec
 * @param {Schema} schema
 */
const offerExample = (spec, schema) => {
  el.exampleBody.hidden = false;
  const example = exampleFor(spec, schema);
  el.body.placeholder = example === undefined ? "" : JSON.stringify(example, null, 2);
};

/** @param {string} id the operation's section in the reference */
const referenceLink = (id) =>
  h(
    "a",
    {
      href: `#reference:${id}`,
      onclick: (e) => {
        e.preventDefault();
        jumpToReference(id);
      },
    },
    "Reference",
  );

/** Names the documented operation under the request bar, with its body schema and a link to its reference. */
export const updateHint = () => {
  const found = currentOperation();
  el.exampleBody.hidden = true;
  if (!found) return replace(el.hint);
  const { spec, path, item, op } = found;
  if (!op)
    return replace(
      el.hint,
      h("span", { class: "warn-text" }, `${el.method.value} is not documented for ${path}; it takes ${documentedMethods(item)}.`),
    );
  const schema = jsonBodySchema(op);
  const withBody = schema && BODY_METHODS.has(el.method.value) ? schema : undefined;
  if (withBody) offerExample(spec, withBody);
  const id = operationId(el.method.value.toLowerCase(), path);
  replace(
    el.hint,
    h("span", { class: "muted" }, op.summary ?? ""),
    withBody ? h("span", { class: "muted" }, ` · body: ${withBody.$ref ? withBody.$ref.split("/").pop() : "JSON"}`) : null,
    " · ",
    referenceLink(id),
  );
};

const updateHintSoon = () => {
  clearTimeout(state.hintTimer);
  state.hintTimer = setTimeout(updateHint, 150);
};

const insertExample = () => {
  const found = currentOperation();
  const schema = found?.op && jsonBodySchema(found.op);
  if (!found || !schema) return;
  el.body.value = JSON.stringify(exampleFor(found.spec, schema) ?? {}, null, 2);
  validateBody();
  el.body.focus();
};

// ── sending ──────────────────────────────────────────────────────────────────────────────────

/** @param {...Child} content */
const requestError = (...content) => {
  replace(el.hint, h("span", { class: "error-text", role: "alert" }, ...content));
};

/** The URL field's URL; undefined (after saying what is wrong, with focus there) when it is not one. */
const requestUrl = () => {
  const raw = el.url.value.trim();
  if (!raw) {
    requestError("Enter a URL, e.g. /v1.");
    el.url.focus();
    return undefined;
  }
  const placeholder = /\{[^}]*\}/.exec(raw);
  if (placeholder) {
    requestError(`Fill in ${placeholder[0]} in the URL first.`);
    el.url.focus();
    el.url.setSelectionRange(placeholder.index, placeholder.index + placeholder[0].length);
    return undefined;
  }
  try {
    return resolveUrl(raw);
  } catch {
    requestError(`“${raw}” is not a URL.`);
    el.url.focus();
    return undefined;
  }
};

const submitRequest = () => {
  const method = el.method.value;
  const url = requestUrl();
  if (!url) return;
  if (BODY_METHODS.has(method) && !validateBody()) {
    el.body.focus();
    return;
  }
  if (method === "GET") navigate(url.href);
  else send({ method, url: url.href, body: BODY_METHODS.has(method) ? el.body.value : undefined });
};

/** @param {KeyboardEvent} e Ctrl/⌘+Enter anywhere in the form, or Enter on the method, sends. */
const onRequestKey = (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey || e.target === el.method)) {
    e.preventDefault();
    submitRequest();
  }
};

export const bindRequestBar = () => {
  el.method.addEventListener("change", onMethodChange);
  el.body.addEventListener("input", validateBody);
  el.formatBody.addEventListener("click", formatBody);
  el.url.addEventListener("input", updateHintSoon);
  el.exampleBody.addEventListener("click", insertExample);
  el.requestForm.addEventListener("submit", (e) => {
    e.preventDefault();
    submitRequest();
  });
  el.requestForm.addEventListener("keydown", onRequestKey);
};
