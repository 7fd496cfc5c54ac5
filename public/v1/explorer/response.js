// @ts-check
// The response view: status line, notices, pager, links, headers and the body (HAL links in it
// are followable); or why there is no response.
import { formatBytes, h, reason, replace } from "./dom.js";
import { el } from "./elements.js";
import { display, methodBadge, sameOrigin, statusClass } from "./helpers.js";
import { halLinks, renderJson } from "./json-view.js";
import { linkTo } from "./links.js";
import { errorNotice, pager, successNotice } from "./notices.js";
import { state } from "./state.js";

/** @typedef {import("./state.js").Result} Result */

/**
 * The request as a curl command, with the token left as $TOKEN.
 * @param {Result} r
 */
const curlCommand = (r) => {
  /** @param {string} s */
  const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
  const parts = [`curl -s -X ${r.method} ${q(r.url)}`, `-H ${q("Authorization: Bearer $TOKEN")}`];
  if (r.requestBody !== undefined) parts.push(`-H ${q("Content-Type: application/json")}`, `--data-raw ${q(r.requestBody)}`);
  return parts.join(" \\\n  ");
};

/**
 * @param {string} label
 * @param {() => string} text what to copy, when clicked
 */
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

/**
 * Tells screen readers what came back, without reading the whole body.
 * @param {string} text
 */
const announce = (text) => {
  el.announcer.textContent = text;
};

/** @param {Result} r */
const statusLine = (r) =>
  h(
    "div",
    { class: "status-line" },
    h(
      "h3",
      { id: "response-status", class: `status-pill ${statusClass(r.status)}`, tabindex: "-1" },
      `${r.status} ${reason(r.status, r.statusText)}`,
    ),
    h("span", { class: "status-request" }, methodBadge(r.method), " ", h("code", {}, display(r.url))),
    h("span", { class: "muted meta" }, `${r.ms} ms · ${formatBytes(r.size)}${r.contentType ? ` · ${r.contentType.split(";")[0]}` : ""}`),
    h("span", { class: "spacer" }),
    copyButton("Copy as curl", () => curlCommand(r)),
  );

/**
 * The Links list: every top-level HAL link as a rel button.
 * @param {ReturnType<typeof halLinks>} links
 */
const linksSection = (links) =>
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
    : null;

/** @param {Result} r */
const headersTable = (r) =>
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
          h(
            "tr",
            {},
            h("th", { scope: "row" }, name),
            h("td", {}, name === "location" && sameOrigin(value) ? linkTo({ href: value }, "location", { text: value }) : value),
          ),
        ),
      ),
    ),
  );

/** @param {Result} r */
const bodyView = (r) =>
  r.json !== undefined
    ? renderJson(r.json, { linkFor: (link, rel) => linkTo(link, rel) })
    : r.text
      ? h("pre", { class: "raw", tabindex: "0", "aria-label": "Response body" }, r.text)
      : h("p", { class: "muted" }, "No body.");

/** @param {Result} r */
export const renderResponse = (r) => {
  announce(`${r.status} ${reason(r.status, r.statusText)} for ${r.method} ${display(r.url)}`);
  const links = halLinks(r.json);
  const body = bodyView(r);
  replace(
    el.responseContent,
    statusLine(r),
    r.status >= 400 ? errorNotice(r) : successNotice(r),
    pager(r),
    linksSection(links),
    headersTable(r),
    h(
      "div",
      { class: "body-head" },
      h("h4", {}, "Body"),
      r.json !== undefined ? copyButton("Copy JSON", () => JSON.stringify(r.json, null, 2)) : null,
    ),
    body,
  );
};

/** @param {{ method: string, url: string, err: Error }} failure */
export const renderNetworkError = ({ method, url, err }) => {
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
      h(
        "p",
        { class: "small" },
        sameOrigin(url)
          ? "Is the server (npm run dev) still running?"
          : "Other origins must allow this page with CORS; the explorer is meant for this server's own links.",
      ),
    ),
  );
};

/** @param {string} url the GET that waits for a token */
export const renderNeedsToken = (url) =>
  replace(
    el.responseContent,
    h(
      "div",
      { class: "notice info" },
      h("p", {}, h("strong", {}, "Get an access token first. "), "Then the explorer loads ", h("code", {}, display(url)), "."),
    ),
  );
