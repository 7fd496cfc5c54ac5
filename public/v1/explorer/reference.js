// @ts-check
// The reference documentation, rendered from the API's own OpenAPI 3.1 document
// (GET /v1/openapi.json): operations grouped by path, parameters, request bodies and responses,
// with schemas as nested field lists (schema-view.js; `$ref` resolved against components, see
// openapi.js), a table of contents, and a filter.
import { h, REASONS, replace } from "./dom.js";
import { jsonBodySchema, operationId, operations, resolve } from "./openapi.js";
import { constraints, schemaView, typeLabel } from "./schema-view.js";

/** @typedef {import("./openapi.js").Spec} Spec */
/** @typedef {import("./openapi.js").Schema} Schema */
/** @typedef {import("./openapi.js").Parameter} Parameter */
/** @typedef {import("./openapi.js").MediaType} MediaType */
/** @typedef {import("./openapi.js").Operation} Operation */
/** @typedef {import("./openapi.js").OperationEntry} OperationEntry */
/** @typedef {(o: { method: string, path: string, op: Operation }) => void} OnTry */
/** @typedef {{ content: HTMLElement, toc: HTMLElement }} ReferenceTargets */

/**
 * A path that may wrap after each slash.
 * @param {string} path
 */
const breakable = (path) => path.split("/").flatMap((part, i) => (i === 0 ? [part] : [h("wbr"), `/${part}`]));

/** @param {string} method */
const methodBadge = (method) => h("span", { class: `method m-${method.toLowerCase()}` }, method.toUpperCase());

/** @param {string} code a status code as the document has it: `200`, `4XX`, `default` */
const statusClass = (code) =>
  /^2/.test(code) ? "ok" : /^3/.test(code) ? "redirect" : /^4/.test(code) ? "client" : /^5/.test(code) ? "server" : "";

/**
 * @param {Spec} spec
 * @param {Parameter[]} params
 */
const parametersView = (spec, params) =>
  h(
    "table",
    { class: "params" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "Name"),
        h("th", { scope: "col" }, "In"),
        h("th", { scope: "col" }, "Type"),
        h("th", { scope: "col" }, "Description"),
      ),
    ),
    h(
      "tbody",
      {},
      params.map((p0) => {
        const p = resolve(spec, p0);
        const schema = resolve(spec, p.schema);
        return h(
          "tr",
          {},
          h("td", {}, h("code", { class: "field-name" }, p.name), p.required ? h("span", { class: "badge required" }, "required") : null),
          h("td", {}, p.in),
          h("td", {}, h("span", { class: "field-type" }, typeLabel(spec, p.schema))),
          h("td", {}, p.description ?? schema.description ?? "", h("div", { class: "constraints" }, constraints(schema))),
        );
      }),
    ),
  );

/**
 * Content types grouped by identical schema, so JSON and HAL+JSON share one field list.
 * @param {Record<string, MediaType> | undefined} content
 */
const contentGroups = (content) => {
  /** @type {Map<string, { types: string[], schema: Schema | undefined }>} */
  const groups = new Map();
  for (const [type, media] of Object.entries(content ?? {})) {
    const key = JSON.stringify(media.schema ?? null);
    let group = groups.get(key);
    if (!group) {
      group = { types: [], schema: media.schema };
      groups.set(key, group);
    }
    group.types.push(type);
  }
  return [...groups.values()];
};

/**
 * @param {Spec} spec
 * @param {Record<string, MediaType> | undefined} content
 * @param {boolean} open
 */
const contentView = (spec, content, open) =>
  contentGroups(content).map(({ types, schema }) =>
    h(
      "details",
      { class: "schema", open },
      h("summary", {}, h("span", { class: "type-name" }, typeLabel(spec, schema)), " ", h("span", { class: "muted" }, types.join(", "))),
      schemaView(spec, schema),
    ),
  );

/**
 * "Try it", or why an operation cannot be sent from the explorer: it sends JSON bodies only, and
 * a form-only operation (the token endpoint) has its own form.
 * @param {OperationEntry} entry
 * @param {OnTry} onTry
 */
const tryButton = ({ method, path, op }, onTry) =>
  op.requestBody && !jsonBodySchema(op)
    ? h("span", { class: "muted small" }, path === "/oauth/token" ? "Use the Access token form" : "Not sendable as JSON")
    : h(
        "button",
        {
          type: "button",
          class: "ghost try",
          onclick: () => onTry({ method: method.toUpperCase(), path, op }),
          "aria-label": `Try ${method.toUpperCase()} ${path} in the explorer`,
        },
        "Try it",
      );

/**
 * Each documented response: status, description and body schema (open for 2xx).
 * @param {Spec} spec
 * @param {Operation} op
 */
const responsesView = (spec, op) =>
  h(
    "dl",
    { class: "responses" },
    Object.entries(op.responses ?? {}).map(([code, r0]) => {
      const r = resolve(spec, r0);
      return [
        h(
          "dt",
          {},
          h("span", { class: `status-pill ${statusClass(code)}` }, code),
          " ",
          h("span", { class: "muted" }, REASONS[code] ?? ""),
          " ",
          r.description ?? "",
        ),
        h("dd", {}, r.content ? contentView(spec, r.content, /^2/.test(code)) : h("span", { class: "muted" }, "No body.")),
      ];
    }),
  );

/**
 * @param {Spec} spec
 * @param {OperationEntry} entry
 * @param {OnTry} onTry
 */
const operationView = (spec, entry, onTry) => {
  const { method, path, op, item } = entry;
  const id = operationId(method, path);
  const params = [...(item.parameters ?? []), ...(op.parameters ?? [])];
  const secured = (op.security ?? spec.security ?? []).length > 0;
  return h(
    "article",
    { class: "op", id, "aria-labelledby": `${id}-title`, "data-search": `${method} ${path} ${op.summary ?? ""}`.toLowerCase() },
    h(
      "header",
      { class: "op-head" },
      h("h4", { id: `${id}-title`, tabindex: "-1" }, methodBadge(method), " ", h("code", { class: "path" }, path)),
      tryButton(entry, onTry),
    ),
    op.summary ? h("p", { class: "summary" }, op.summary) : null,
    op.description ? h("p", {}, op.description) : null,
    h("p", { class: "muted auth" }, secured ? "Requires a bearer access token." : "No token needed."),
    params.length ? [h("h5", {}, "Parameters"), parametersView(spec, params)] : null,
    op.requestBody
      ? [
          h("h5", {}, "Request body", resolve(spec, op.requestBody).required ? h("span", { class: "badge required" }, "required") : null),
          contentView(spec, resolve(spec, op.requestBody).content, true),
        ]
      : null,
    h("h5", {}, "Responses"),
    responsesView(spec, op),
  );
};

/**
 * The table of contents: the overview, each path with its operations, the schemas.
 * @param {Map<string, OperationEntry[]>} byPath
 * @param {(id: string) => (e: Event) => void} jump
 */
const tocEntries = (byPath, jump) => [
  h("li", { class: "toc-intro" }, h("a", { href: "#reference:overview", onclick: jump("overview") }, "Overview")),
  [...byPath].map(([path, list]) =>
    h(
      "li",
      {
        class: "toc-path",
        "data-search": list
          .map((o) => `${o.method} ${o.path} ${o.op.summary ?? ""}`)
          .join(" ")
          .toLowerCase(),
      },
      h("span", { class: "toc-path-name" }, breakable(path)),
      h(
        "ul",
        {},
        list.map((o) => {
          const id = operationId(o.method, o.path);
          return h(
            "li",
            { "data-search": `${o.method} ${o.path} ${o.op.summary ?? ""}`.toLowerCase() },
            h(
              "a",
              { href: `#reference:${id}`, onclick: jump(id), title: `${o.method.toUpperCase()} ${o.path}` },
              methodBadge(o.method),
              " ",
              o.op.summary ?? o.path,
            ),
          );
        }),
      ),
    ),
  ),
  h("li", { class: "toc-intro" }, h("a", { href: "#reference:schemas", onclick: jump("schemas") }, "Schemas")),
];

/**
 * The overview: title, version, description, base URL, authentication, the document itself.
 * @param {Spec} spec
 */
const overview = (spec) => {
  const security = Object.entries(spec.components?.securitySchemes ?? {});
  return h(
    "section",
    { id: "overview", class: "ref-intro", "aria-labelledby": "overview-title" },
    h(
      "h2",
      { id: "overview-title", tabindex: "-1" },
      spec.info?.title ?? "API reference",
      " ",
      h("span", { class: "muted version" }, `v${spec.info?.version ?? "?"}`),
    ),
    spec.info?.description ? h("p", {}, spec.info.description) : null,
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Base URL"),
      h("dd", {}, h("code", {}, spec.servers?.[0]?.url ?? location.origin)),
      security.map(([name, scheme]) => [
        h("dt", {}, "Authentication"),
        h(
          "dd",
          {},
          scheme.type === "oauth2" && scheme.flows?.clientCredentials
            ? [
                "OAuth 2.0 client credentials: ",
                h("code", {}, `POST ${scheme.flows.clientCredentials.tokenUrl}`),
                " with the client id and secret (HTTP Basic), then ",
                h("code", {}, "Authorization: Bearer <token>"),
                ".",
              ]
            : `${name}: ${scheme.type}`,
        ),
      ]),
      h("dt", {}, "Document"),
      h("dd", {}, h("a", { href: new URL("../openapi.json", location.href).pathname }, "openapi.json"), ` (OpenAPI ${spec.openapi})`),
    ),
  );
};

/**
 * Every schema of the components, folded.
 * @param {Spec} spec
 */
const schemasSection = (spec) =>
  h(
    "section",
    { id: "schemas", class: "schemas", "aria-labelledby": "schemas-title" },
    h("h2", { id: "schemas-title", tabindex: "-1" }, "Schemas"),
    Object.entries(spec.components?.schemas ?? {}).map(([name, schema]) =>
      h(
        "details",
        { class: "schema", id: `schema-${name}` },
        h(
          "summary",
          {},
          h("span", { class: "type-name" }, name),
          schema.description ? h("span", { class: "muted" }, ` — ${schema.description}`) : null,
        ),
        schemaView(spec, schema, 0, [`#/components/schemas/${name}`]),
      ),
    ),
  );

/**
 * Renders the whole reference into `content` and its table of contents into `toc`.
 * @param {Spec} spec
 * @param {ReferenceTargets} targets
 * @param {{ onTry: OnTry, onJump: (id: string) => void }} handlers
 */
export const renderReference = (spec, { content, toc }, { onTry, onJump }) => {
  /** @type {Map<string, OperationEntry[]>} */
  const byPath = new Map();
  for (const o of operations(spec)) {
    let list = byPath.get(o.path);
    if (!list) {
      list = [];
      byPath.set(o.path, list);
    }
    list.push(o);
  }
  /** @param {string} id */
  const jump = (id) => (/** @type {Event} */ e) => {
    e.preventDefault();
    onJump(id);
  };

  replace(toc, tocEntries(byPath, jump));
  replace(
    content,
    overview(spec),
    [...byPath].map(([path, list]) =>
      h(
        "section",
        { class: "path-group", "aria-label": path },
        h("h3", { class: "path-title" }, h("code", {}, breakable(path))),
        list.map((o) => operationView(spec, o, onTry)),
      ),
    ),
    schemasSection(spec),
  );
};

/**
 * Shows only the operations (and TOC entries) whose method, path or summary contain `query`.
 * @param {ReferenceTargets} targets
 * @param {string} query
 */
export const filterReference = ({ content, toc }, query) => {
  const q = query.trim().toLowerCase();
  const words = q.split(/\s+/).filter(Boolean);
  /** @param {HTMLElement} el */
  const matches = (el) => words.every((w) => (el.dataset.search ?? "").includes(w));
  /** @param {HTMLElement} root @param {string} selector */
  const all = (root, selector) => /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll(selector));
  for (const el of all(content, "article.op")) el.hidden = !matches(el);
  for (const group of all(content, "section.path-group")) group.hidden = ![...all(group, "article.op")].some((a) => !a.hidden);
  for (const el of all(toc, "li[data-search]")) el.hidden = !matches(el);
  const intro = content.querySelector(".ref-intro");
  const schemas = content.querySelector(".schemas");
  if (intro instanceof HTMLElement) intro.hidden = words.length > 0;
  if (schemas instanceof HTMLElement) schemas.hidden = words.length > 0;
};
