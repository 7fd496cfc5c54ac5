// @ts-check
// What the response view says above the body: why a request failed (and what to do), what a
// successful change did, and where a page resource is (with its pager).
import { h, reason } from "./dom.js";
import { el } from "./elements.js";
import { display } from "./helpers.js";
import { linkTo } from "./links.js";
import { navigate } from "./navigation.js";
import { state } from "./state.js";

/** @typedef {import("./state.js").Result} Result */
/** @typedef {import("./dom.js").Child} Child */
/**
 * An error body: kitty-edge's (`error`, `message`, `properties`) or OAuth's.
 * @typedef {{ error?: string, message?: string, error_description?: string, properties?: unknown }} ErrorBody
 */
/**
 * A page resource: links to other pages, the embedded items, the page metadata.
 * @typedef {object} PageBody
 * @property {Record<string, { href?: string } | undefined>} [_links]
 * @property {Record<string, unknown[]>} [_embedded]
 * @property {{ number?: number, size?: number, totalPages?: number, totalElements?: number }} [page]
 */

/**
 * A response header's value (names are lower case).
 * @param {Result} r
 * @param {string} name
 */
const header = (r, name) => r.headers.find(([k]) => k === name)?.[1];

/**
 * What to do about an error status, if there is something to say.
 * @param {Result} r
 * @returns {Child}
 */
const statusHint = (r) => {
  const retryAfter = header(r, "retry-after");
  switch (r.status) {
    case 401:
      return [
        state.token ? "The token is missing, expired or not valid here. " : "There is no access token yet. ",
        h("button", { type: "button", class: "link-button", onclick: () => el.clientSecret.focus() }, "Get a new token"),
      ];
    case 404:
      return "Nothing here, or it belongs to another application.";
    case 405:
      return `This URL takes ${header(r, "allow") ?? "other methods"}.`;
    case 406:
      return "The API only answers JSON.";
    case 413:
      return "The body is larger than the server accepts.";
    case 415:
      return "Send the body as JSON (the explorer sets Content-Type: application/json when there is a body).";
    case 429:
      return `Rate limited${retryAfter !== undefined ? `: retry in ${retryAfter} s` : ""}.`;
    default:
      return undefined;
  }
};

/** @param {Result} r a 4xx or 5xx response */
export const errorNotice = (r) => {
  const j = /** @type {ErrorBody} */ (r.json && typeof r.json === "object" ? r.json : {});
  const props = j.properties && typeof j.properties === "object" ? Object.entries(j.properties) : [];
  const hint = statusHint(r);
  return h(
    "div",
    { class: `notice ${r.status >= 500 ? "error" : "warning"}`, role: "alert" },
    h(
      "p",
      {},
      h("strong", {}, j.error ?? `${r.status} ${reason(r.status, r.statusText)}`),
      j.message || j.error_description ? [" — ", j.message ?? j.error_description] : null,
    ),
    props.length
      ? h(
          "ul",
          { class: "error-props" },
          props.map(([k, v]) => h("li", {}, h("code", {}, k), ": ", typeof v === "string" ? v : JSON.stringify(v))),
        )
      : null,
    hint ? h("p", { class: "small" }, hint) : null,
  );
};

/** @param {Result} r a response below 400 */
export const successNotice = (r) => {
  const location_ = header(r, "location");
  if (r.method === "POST" && r.status === 201) {
    return h(
      "div",
      { class: "notice success" },
      h("strong", {}, "Created."),
      location_ ? [" Location: ", linkTo({ href: location_ }, "location", { text: display(location_) })] : null,
    );
  }
  if (r.method === "DELETE" && r.status < 300)
    return h("div", { class: "notice success" }, h("strong", {}, "Deleted."), " The body is the resource it belonged to.");
  if ((r.method === "PUT" || r.method === "PATCH") && r.status < 300)
    return h("div", { class: "notice success" }, h("strong", {}, "Saved."));
  return null;
};

/**
 * Where a page resource is: "Page 2 of 5 · 9 users · 2 per page", or the count on this page.
 * @param {PageBody} body
 */
const pageLabel = (body) => {
  const page = body.page ?? {};
  const embedded = Object.entries(body._embedded ?? {}).find(([, v]) => Array.isArray(v));
  return page.totalPages !== undefined
    ? `Page ${Number(page.number) + 1} of ${Math.max(1, page.totalPages)} · ${page.totalElements} ${embedded?.[0] ?? "items"} · ${page.size} per page`
    : `${embedded ? embedded[1].length : (page.size ?? 0)} ${embedded?.[0] ?? "items"} on this page`;
};

/**
 * First/previous/next/last buttons for a page resource, with where we are.
 * @param {Result} r
 */
export const pager = (r) => {
  const body = /** @type {PageBody | undefined} */ (r.json);
  const links = body?._links;
  if (!body || !links || !["first", "prev", "next", "last"].some((k) => links[k]?.href)) return null;
  const numbered = body.page?.totalPages !== undefined;
  /**
   * @param {string} rel
   * @param {string} text
   * @param {string} [key] its keyboard shortcut
   */
  const button = (rel, text, key) => {
    const href = links[rel]?.href;
    return h(
      "button",
      {
        type: "button",
        class: "ghost",
        "data-rel": rel,
        disabled: !href || (rel === "first" && !links.prev) || (rel === "last" && !links.next),
        "aria-keyshortcuts": key,
        onclick: () => href && navigate(href, { focusResponse: true }),
      },
      text,
    );
  };
  return h(
    "nav",
    { class: "pager", "aria-label": "Pages" },
    numbered ? button("first", "« First") : null,
    button("prev", "‹ Previous", "["),
    h("span", { class: "page-label", id: "page-label" }, pageLabel(body)),
    button("next", "Next ›", "]"),
    numbered ? button("last", "Last »") : null,
  );
};
