// @ts-check
// The Reference tab: loads the OpenAPI document once (again after a failure), renders it
// (reference.js), jumps to an operation (#reference:<id>), filters, and "Try it" fills the
// request bar with an operation's method, path and example body.
import { BODY_METHODS, SPEC_URL } from "./config.js";
import { h, reason, replace } from "./dom.js";
import { el } from "./elements.js";
import { display } from "./helpers.js";
import { exampleFor, jsonBodySchema } from "./openapi.js";
import { filterReference, renderReference } from "./reference.js";
import { onMethodChange, updateHint } from "./request.js";
import { state } from "./state.js";
import { showTab } from "./tabs.js";

/** @typedef {import("./openapi.js").Spec} Spec */
/** @typedef {import("./openapi.js").Operation} Operation */

const targets = () => ({ content: el.refContent, toc: el.refToc });

/**
 * The OpenAPI document: loaded once; null (and `state.specError`) when loading failed.
 * @returns {Promise<Spec | null>}
 */
export const ensureSpec = () => {
  state.specPromise ??= fetch(SPEC_URL, { headers: { Accept: "application/json" } })
    .then(async (res) => {
      if (!res.ok) throw new Error(`${res.status} ${reason(res.status, res.statusText)} from ${display(SPEC_URL.href)}`);
      state.spec = await res.json();
      state.specError = null;
      updateHint();
      return state.spec;
    })
    .catch((err) => {
      state.specError = err;
      state.specPromise = null;
      return null;
    });
  return state.specPromise;
};

/** @param {Error} error */
const renderSpecError = (error) =>
  replace(
    el.refContent,
    h(
      "div",
      { class: "notice error", role: "alert" },
      h("p", {}, h("strong", {}, "Could not load the OpenAPI document. "), error.message),
      h("button", { type: "button", onclick: () => ensureSpec().then(renderSpec) }, "Try again"),
    ),
  );

/** Renders the reference, once per document (or says why there is none). */
export const renderSpec = () => {
  if (state.specError && !state.spec) {
    renderSpecError(state.specError);
    return;
  }
  if (!state.spec || state.renderedSpec === state.spec) return;
  state.renderedSpec = state.spec;
  renderReference(state.spec, targets(), { onTry: tryOperation, onJump: (id) => jumpToReference(id) });
  filterReference(targets(), el.refFilter.value);
};

/**
 * Shows an operation's (or the overview's, or the schemas') section, clearing a filter that hides it.
 * @param {string} id
 * @param {{ updateHash?: boolean }} [options]
 */
export const jumpToReference = (id, { updateHash = true } = {}) => {
  showTab("reference", { updateHash: false });
  ensureSpec().then(() => {
    renderSpec();
    const target = document.getElementById(id);
    if (!target) return;
    if (target.hidden) {
      el.refFilter.value = "";
      filterReference(targets(), "");
    }
    if (updateHash) history.replaceState(history.state, "", `#reference:${id}`);
    target.scrollIntoView({ block: "start" });
    /** @type {HTMLElement} */ (target.querySelector("[tabindex='-1']") ?? target).focus({ preventScroll: true });
  });
};

/** @param {Spec} spec the path prefix of the document's server, e.g. "" for `/` */
const serverPrefix = (spec) => {
  try {
    return new URL(spec.servers?.[0]?.url ?? "/", location.href).pathname.replace(/\/+$/, "");
  } catch {
    return ""; // no prefix
  }
};

/**
 * Selects the URL's first `{placeholder}`, if there is one, and says to replace it.
 * @param {string} url
 */
const selectPlaceholder = (url) => {
  const placeholder = /\{[^}]*\}/.exec(url);
  el.url.focus();
  if (placeholder) {
    el.url.setSelectionRange(placeholder.index, placeholder.index + placeholder[0].length);
    replace(el.hint, h("span", { class: "warn-text" }, `Replace ${placeholder[0]} (selected), then press Enter.`));
  } else {
    el.url.setSelectionRange(url.length, url.length);
  }
};

/**
 * "Try it": the operation into the request bar, with our application's id and an example body.
 * @param {{ method: string, path: string, op: Operation }} operation
 */
const tryOperation = ({ method, path, op }) => {
  const spec = state.spec;
  if (!spec) return; // the reference (and its buttons) exists only once the document is loaded
  const applicationId = state.token?.applicationId;
  const url = serverPrefix(spec) + (applicationId ? path.replace("{applicationId}", String(applicationId)) : path);
  el.method.value = method;
  el.url.value = url;
  const schema = jsonBodySchema(op);
  if (schema && BODY_METHODS.has(method)) el.body.value = JSON.stringify(exampleFor(spec, schema) ?? {}, null, 2);
  onMethodChange();
  showTab("explorer");
  selectPlaceholder(url);
};

export const bindReference = () => {
  el.refFilter.addEventListener("input", () => filterReference(targets(), el.refFilter.value));
};
