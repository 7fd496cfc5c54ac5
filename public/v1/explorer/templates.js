// @ts-check
// Templated links (RFC 6570, e.g. `…/users{?page,size,name}`): a dialog with a field per
// variable, described from the OpenAPI document when it documents them, and the URL as you type.
import { h, replace } from "./dom.js";
import { el } from "./elements.js";
import { display } from "./helpers.js";
import { navigate } from "./navigation.js";
import { matchPath, resolve } from "./openapi.js";
import { state } from "./state.js";
import { expandTemplate, templateVariables } from "./uri-template.js";

/** @typedef {import("./json-view.js").HalLink} HalLink */
/** @typedef {import("./openapi.js").Parameter} Parameter */
/** @typedef {import("./openapi.js").Schema} Schema */
/** @typedef {import("./uri-template.js").Variable} Variable */

/**
 * Descriptions of a template's query parameters from the OpenAPI document, when it has them.
 * @param {string} href
 * @returns {Record<string, Parameter>}
 */
const templateParamDocs = (href) => {
  const spec = state.spec;
  if (!spec) return {};
  const match = matchPath(spec, href.replace(/\{[^}]*\}/g, ""));
  const params = [...(match?.item.parameters ?? []), ...(match?.item.get?.parameters ?? [])].map((p) => resolve(spec, p));
  return Object.fromEntries(params.map((p) => [p.name, p]));
};

/**
 * A labelled input for a variable, with its documented description and example.
 * @param {Variable} v
 * @param {number} i
 * @param {Parameter | undefined} doc
 */
const templateField = (v, i, doc) => {
  /** @type {Schema} */
  const schema = doc && state.spec ? resolve(state.spec, doc.schema) : {};
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
};

/**
 * Opens the dialog for a templated link; focus goes back to `opener` when it closes.
 * @param {HalLink} link
 * @param {string} rel
 * @param {HTMLElement | null} opener
 */
export const openTemplate = (link, rel, opener) => {
  const variables = templateVariables(link.href);
  const docs = templateParamDocs(link.href);
  state.template = { link, variables, opener };
  el.templateRel.textContent = rel;
  // Shown as sent (URL parsing would percent-encode the braces).
  el.templateHref.textContent = link.href.startsWith(location.origin) ? link.href.slice(location.origin.length) : link.href;
  replace(
    el.templateFields,
    variables.map((v, i) => templateField(v, i, docs[v.name])),
  );
  updateTemplatePreview();
  el.dialog.showModal();
  el.templateFields.querySelector("input")?.focus();
};

const templateValues = () =>
  Object.fromEntries([...el.templateFields.querySelectorAll("input")].map((input) => [input.name, input.value.trim()]));

const updateTemplatePreview = () => {
  if (state.template) el.templatePreview.textContent = display(expandTemplate(state.template.link.href, templateValues()));
};

/** @param {SubmitEvent} e */
const onSubmit = (e) => {
  e.preventDefault();
  if (!state.template) return;
  const href = expandTemplate(state.template.link.href, templateValues());
  state.template.opener = null;
  el.dialog.close();
  navigate(href, { focusResponse: true });
};

const onClose = () => {
  state.template?.opener?.focus();
  state.template = null;
};

export const bindTemplates = () => {
  el.templateForm.addEventListener("submit", onSubmit);
  el.templateCancel.addEventListener("click", () => el.dialog.close());
  el.dialog.addEventListener("close", onClose);
};
