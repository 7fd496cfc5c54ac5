// @ts-check
// Tiny DOM helpers shared by the explorer's modules.

/**
 * What `h`, `append` and `replace` take as children: nodes, strings, numbers, arrays of them;
 * null, undefined and false are skipped.
 * @typedef {Node | string | number | boolean | null | undefined | ChildList} Child
 */

/**
 * An array of children, possibly nested (an object type, so `Child` may refer to itself).
 * @typedef {{ readonly [index: number]: Child, readonly length: number }} ChildList
 */

/**
 * A click on an element made by `h`: its listeners are on that element, so `currentTarget` is it.
 * @typedef {MouseEvent & { currentTarget: HTMLElement }} ElementMouseEvent
 */

/**
 * `h`'s attributes: properties or attributes; `on*` functions become listeners.
 * @typedef {{ [key: string]: unknown, onclick?: (e: ElementMouseEvent) => unknown, oninput?: (e: Event) => unknown }} Attrs
 */

/**
 * Creates an element. `attrs`: properties/attributes; `on*` functions become listeners,
 * `class` a class name, `data-*`/`aria-*` attributes; false/null/undefined values are skipped.
 * Children: nodes, strings, numbers, arrays of them; null/false are skipped.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs | null} [attrs]
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export const h = (tag, attrs = {}, ...children) => {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function")
      el.addEventListener(key.slice(2).toLowerCase(), /** @type {EventListener} */ (value));
    else if (key === "class") el.className = String(value);
    else if (key === "text") el.textContent = String(value);
    else if (key in el && !key.includes("-") && typeof value !== "string") Object.assign(el, { [key]: value });
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
};

/**
 * Appends `children` (flattened) to `el`.
 * @template {Element} E
 * @param {E} el
 * @param {Child[]} children
 * @returns {E}
 */
const append = (el, children) => {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
};

/**
 * Replaces every child of `el`.
 * @template {Element} E
 * @param {E} el
 * @param {...Child} children
 * @returns {E}
 */
export const replace = (el, ...children) => {
  el.replaceChildren();
  return append(el, children);
};

/** @param {number} n a size in bytes */
export const formatBytes = (n) =>
  n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** @type {Record<string, string>} */
export const REASONS = {
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  301: "Moved Permanently",
  302: "Found",
  304: "Not Modified",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/**
 * The reason phrase of a status: the server's, else the standard one, else "".
 * @param {number} status
 * @param {string} [statusText]
 */
export const reason = (status, statusText) => statusText || REASONS[status] || "";
