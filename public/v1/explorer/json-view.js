// @ts-check
// Pretty JSON as DOM, where every HAL link's href (anything under a `_links` object, at any
// depth, including embedded resources) is a focusable link that the explorer follows with GET;
// templated links (`"templated": true`) open the template form instead.
import { h } from "./dom.js";

/**
 * A HAL link object, as far as the explorer reads it.
 * @typedef {{ href: string, templated?: boolean, title?: string }} HalLink
 */

/**
 * Where a value sits: `links` for the value of `_links`; `rel` and `linkObject` for a link
 * object (or an array of them) under `_links.<rel>`.
 * @typedef {{ links?: boolean, linkObject?: boolean, rel?: string }} Context
 */

/**
 * @param {unknown} value parsed JSON
 * @param {{ linkFor: (link: HalLink, rel: string) => Node }} options
 * @returns {HTMLElement} a <pre> element
 */
export const renderJson = (value, { linkFor }) => {
  const pre = h("pre", { class: "json", tabindex: "0", "aria-label": "Response body (JSON)" });
  /** @type {(Node | string)[]} */
  const out = [];
  /**
   * @param {string} s
   * @param {string} [cls]
   */
  const text = (s, cls) => out.push(cls ? h("span", { class: cls }, s) : s);

  /**
   * @param {unknown} v
   * @param {number} indent
   * @param {Context} ctx
   */
  const write = (v, indent, ctx) => {
    if (v === null) return text("null", "j-null");
    if (typeof v === "string") return text(JSON.stringify(v), "j-str");
    if (typeof v === "number") return text(String(v), "j-num");
    if (typeof v === "boolean") return text(String(v), "j-bool");
    const pad = "  ".repeat(indent + 1);
    const end = "  ".repeat(indent);
    if (Array.isArray(v)) {
      if (v.length === 0) return text("[]", "j-punct");
      text("[", "j-punct");
      text("\n");
      v.forEach((item, i) => {
        text(pad);
        // An array of links under one rel: each element is a link object.
        write(item, indent + 1, ctx.rel !== undefined ? { linkObject: true, rel: ctx.rel } : {});
        text(i < v.length - 1 ? ",\n" : "\n");
      });
      text(end);
      return text("]", "j-punct");
    }
    const entries = Object.entries(/** @type {Record<string, unknown>} */ (v));
    if (entries.length === 0) return text("{}", "j-punct");
    text("{", "j-punct");
    text("\n");
    entries.forEach(([key, item], i) => {
      text(pad);
      text(JSON.stringify(key), key === "_links" || key === "_embedded" ? "j-key j-hal" : "j-key");
      text(": ", "j-punct");
      if (ctx.links) {
        // `_links.<rel>`: a link object or an array of them.
        write(item, indent + 1, { rel: key, linkObject: !Array.isArray(item) });
      } else if (ctx.linkObject && key === "href" && typeof item === "string") {
        // A link object always comes with its rel (see above).
        out.push(linkFor(/** @type {HalLink} */ (v), /** @type {string} */ (ctx.rel)));
      } else {
        write(item, indent + 1, key === "_links" && item && typeof item === "object" ? { links: true } : {});
      }
      text(i < entries.length - 1 ? ",\n" : "\n");
    });
    text(end);
    text("}", "j-punct");
  };

  write(value, 0, {});
  pre.append(...out);
  return pre;
};

/**
 * @param {unknown} link
 * @returns {link is HalLink}
 */
const isLink = (link) => !!link && typeof link === "object" && typeof (/** @type {{ href?: unknown }} */ (link).href) === "string";

/**
 * Every link of a HAL resource's top-level `_links`, flattened: [{rel, link}].
 * @param {unknown} body parsed JSON
 * @returns {{ rel: string, link: HalLink }[]}
 */
export const halLinks = (body) => {
  const links = body && typeof body === "object" && !Array.isArray(body) ? /** @type {{ _links?: unknown }} */ (body)._links : undefined;
  if (!links || typeof links !== "object") return [];
  return Object.entries(links).flatMap(([rel, value]) =>
    (Array.isArray(value) ? value : [value]).filter(isLink).map((link) => ({ rel, link })),
  );
};
