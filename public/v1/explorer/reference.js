// The reference documentation, rendered from the API's own OpenAPI 3.1 document
// (GET /v1/openapi.json): operations grouped by path, parameters, request bodies and responses,
// with schemas as nested field lists ($ref resolved against components). Also: which documented
// operation a request bar URL is (for hints and example bodies).
import { h, REASONS, replace } from "./dom.js";

const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];

export const refName = (ref) => decodeURIComponent(ref.split("/").pop()).replace(/~1/g, "/").replace(/~0/g, "~");

/** Resolves a local `$ref` (one or several hops). */
export const resolve = (spec, schema) => {
  let s = schema;
  for (let i = 0; s && s.$ref && i < 20; i++) {
    const path = s.$ref.replace(/^#\//, "").split("/").map((p) => decodeURIComponent(p).replace(/~1/g, "/").replace(/~0/g, "~"));
    s = path.reduce((node, key) => node?.[key], spec);
  }
  return s ?? {};
};

export const operationId = (method, path) =>
  `op-${method}-${path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "").toLowerCase()}`;

/** Every operation as {method, path, op}, in document order. */
export const operations = (spec) =>
  Object.entries(spec.paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method], item })),
  );

/** The API path of `url` relative to the document's server (its path prefix removed), without query. */
const apiPath = (spec, url) => {
  const u = new URL(url, location.href);
  let prefix = "";
  try {
    prefix = new URL(spec.servers?.[0]?.url ?? "/", location.href).pathname.replace(/\/+$/, "");
  } catch {
    /* relative or odd server url: no prefix */
  }
  const path = u.pathname;
  return prefix && path.startsWith(prefix) ? path.slice(prefix.length) || "/" : path;
};

const pathRegex = (template) =>
  new RegExp(`^${template.split(/(\{[^}]+\})/).map((part) => (part.startsWith("{") ? "([^/]+)" : part.replace(/[.*+?^$()|[\]\\]/g, "\\$&"))).join("")}/?$`);

/**
 * The documented path that `url` falls under and its operations. Literal paths win over
 * templated ones (`/applications/me` over `/applications/{applicationId}`).
 * @returns {{ path: string, item: object } | undefined}
 */
export const matchPath = (spec, url) => {
  let path;
  try {
    path = apiPath(spec, url);
  } catch {
    return undefined;
  }
  const candidates = Object.entries(spec.paths ?? {})
    .map(([template, item]) => ({ template, item, params: (template.match(/\{/g) ?? []).length }))
    .sort((a, b) => a.params - b.params);
  const hit = candidates.find(({ template }) => pathRegex(template).test(path));
  return hit && { path: hit.template, item: hit.item };
};

/** The JSON request body schema of an operation, if it takes JSON. */
export const jsonBodySchema = (op) => {
  const content = op?.requestBody?.content ?? {};
  const type = Object.keys(content).find((t) => /json/i.test(t));
  return type ? content[type].schema : undefined;
};

/** An example value for a schema: examples, defaults, the first enum value, else a placeholder. */
export const exampleFor = (spec, schema, depth = 0, seen = new Set()) => {
  if (!schema || depth > 6) return undefined;
  if (schema.$ref) {
    if (seen.has(schema.$ref)) return undefined;
    return exampleFor(spec, resolve(spec, schema), depth, new Set([...seen, schema.$ref]));
  }
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length) return schema.enum[0];
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives?.length) return exampleFor(spec, alternatives[0], depth + 1, seen);
  if (schema.allOf?.length) return Object.assign({}, ...schema.allOf.map((s) => exampleFor(spec, s, depth + 1, seen)));
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  if (type === "object" || schema.properties) {
    const props = Object.entries(schema.properties ?? {}).filter(([name, s]) => name !== "_links" && !s.readOnly);
    const required = new Set(schema.required ?? []);
    // Only the required fields when there are any: the smallest body that works.
    const chosen = required.size ? props.filter(([name]) => required.has(name)) : props;
    return Object.fromEntries(chosen.map(([name, s]) => [name, exampleFor(spec, s, depth + 1, seen)]).filter(([, v]) => v !== undefined));
  }
  if (type === "array") {
    const item = exampleFor(spec, schema.items, depth + 1, seen);
    return item === undefined ? [] : [item];
  }
  if (type === "integer" || type === "number") return schema.minimum ?? 1;
  if (type === "boolean") return false;
  if (type === "string") return schema.format === "date-time" ? new Date().toISOString() : "string";
  return undefined;
};

// ── schema rendering ─────────────────────────────────────────────────────────────────────────

const primitive = (spec, schema) => {
  const s = resolve(spec, schema);
  return !s.properties && !s.items && !s.oneOf && !s.anyOf && !s.allOf && s.type !== "object";
};

/** A short, readable type: `string (date-time)`, `array of UserResource`, `"A" | "B"`. */
export const typeLabel = (spec, schema) => {
  if (!schema) return "any";
  if (schema.$ref) return refName(schema.$ref);
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives) return alternatives.map((s) => typeLabel(spec, s)).join(" | ");
  if (schema.allOf) return schema.allOf.map((s) => typeLabel(spec, s)).join(" & ");
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type;
  if (type === "array" || schema.items) return `array of ${typeLabel(spec, schema.items)}`;
  if ((type === "object" || !type) && schema.additionalProperties && !schema.properties) {
    return schema.additionalProperties === true || Object.keys(schema.additionalProperties).length === 0
      ? "object (any keys)"
      : `map of ${typeLabel(spec, schema.additionalProperties)}`;
  }
  if (!type) return schema.properties ? "object" : "any";
  return schema.format ? `${type} (${schema.format})` : type;
};

const constraints = (schema) => {
  const out = [];
  const add = (label, value) => out.push(h("span", { class: "constraint" }, label, " ", h("code", {}, value)));
  if (schema.minLength !== undefined) add("min length", String(schema.minLength));
  if (schema.maxLength !== undefined) add("max length", String(schema.maxLength));
  if (schema.minimum !== undefined) add("min", String(schema.minimum));
  if (schema.maximum !== undefined) add("max", String(schema.maximum));
  if (schema.minItems !== undefined) add("min items", String(schema.minItems));
  if (schema.maxItems !== undefined) add("max items", String(schema.maxItems));
  if (schema.pattern !== undefined) add("pattern", schema.pattern);
  if (schema.default !== undefined) add("default", JSON.stringify(schema.default));
  if (schema.example !== undefined && typeof schema.example !== "object") add("e.g.", JSON.stringify(schema.example));
  return out;
};

/** The fields of an object schema (or the alternatives of a oneOf/anyOf) as a nested list. */
export const schemaView = (spec, schema, depth = 0, stack = []) => {
  if (!schema) return h("p", { class: "muted" }, "No schema.");
  if (schema.$ref) {
    if (stack.includes(schema.$ref)) return h("p", { class: "muted" }, `${refName(schema.$ref)} (recursive, see above)`);
    return schemaView(spec, resolve(spec, schema), depth, [...stack, schema.$ref]);
  }
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives) {
    const disc = schema.discriminator?.propertyName;
    return h(
      "div",
      { class: "alternatives" },
      h("p", { class: "muted" }, schema.oneOf ? "One of:" : "Any of:", disc ? [" (told apart by ", h("code", {}, disc), ")"] : null),
      h(
        "ol",
        { class: "alt-list" },
        alternatives.map((alt) => h("li", {}, h("span", { class: "type-name" }, typeLabel(spec, alt)), fieldsOrNothing(spec, alt, depth + 1, stack))),
      ),
    );
  }
  if (schema.type === "array" || schema.items) {
    return h("div", {}, h("p", { class: "muted" }, "Array of ", h("span", { class: "type-name" }, typeLabel(spec, schema.items))), fieldsOrNothing(spec, schema.items, depth + 1, stack));
  }
  if (!schema.properties) {
    return h("p", { class: "muted" }, typeLabel(spec, schema), schema.description ? ` — ${schema.description}` : "");
  }
  const required = new Set(schema.required ?? []);
  return h(
    "ul",
    { class: "fields" },
    Object.entries(schema.properties).map(([name, prop]) => {
      const resolved = resolve(spec, prop);
      const description = prop.description ?? resolved.description;
      const li = h(
        "li",
        {},
        h(
          "div",
          { class: "field-head" },
          h("code", { class: "field-name" }, name),
          h("span", { class: "field-type" }, typeLabel(spec, prop)),
          required.has(name) ? h("span", { class: "badge required" }, "required") : h("span", { class: "badge optional" }, "optional"),
        ),
        description ? h("p", { class: "field-desc" }, description) : null,
        h("div", { class: "constraints" }, constraints(resolved)),
      );
      const target = prop.$ref ?? prop.items?.$ref;
      if (target && isSmallRef(spec, target)) {
        // A small referenced shape (HalLink) is shown inline: `{ href, templated? }`.
        li.firstChild.append(h("span", { class: "shape" }, shapeOf(spec, target)));
        return li;
      }
      const nested = fieldsOrNothing(spec, prop, depth + 1, stack);
      // Referenced schemas fold away (UserResource, PageMetadata, …); inline objects stay open.
      if (nested) li.append(target ? h("details", { class: "nested" }, h("summary", {}, `Fields of ${refName(target)}`), nested) : nested);
      return li;
    }),
  );
};

const isSmallRef = (spec, ref) => {
  const s = resolve(spec, { $ref: ref });
  const props = Object.values(s.properties ?? {});
  return props.length > 0 && props.length <= 2 && props.every((p) => primitive(spec, p));
};

const shapeOf = (spec, ref) => {
  const s = resolve(spec, { $ref: ref });
  const required = new Set(s.required ?? []);
  return `{ ${Object.keys(s.properties).map((k) => (required.has(k) ? k : `${k}?`)).join(", ")} }`;
};

/** Nested fields of a property, or null when it is a plain value. */
const fieldsOrNothing = (spec, schema, depth, stack) => {
  if (!schema || depth > 8) return null;
  if (schema.$ref && stack.includes(schema.$ref)) return h("p", { class: "muted" }, `${refName(schema.$ref)} (recursive, see above)`);
  const s = resolve(spec, schema);
  const nextStack = schema.$ref ? [...stack, schema.$ref] : stack;
  if (s.properties || s.oneOf || s.anyOf) return schemaView(spec, s, depth, nextStack);
  if ((s.type === "array" || s.items) && s.items && !primitive(spec, s.items)) return fieldsOrNothing(spec, s.items, depth + 1, nextStack);
  return null;
};

// ── the reference page ───────────────────────────────────────────────────────────────────────

/** A path that may wrap after each slash. */
const breakable = (path) => path.split("/").flatMap((part, i) => (i === 0 ? [part] : [h("wbr"), `/${part}`]));

const methodBadge = (method) => h("span", { class: `method m-${method.toLowerCase()}` }, method.toUpperCase());

const statusClass = (code) => (/^2/.test(code) ? "ok" : /^3/.test(code) ? "redirect" : /^4/.test(code) ? "client" : /^5/.test(code) ? "server" : "");

const parametersView = (spec, params) =>
  h(
    "table",
    { class: "params" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "In"), h("th", { scope: "col" }, "Type"), h("th", { scope: "col" }, "Description"))),
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

/** Content types grouped by identical schema, so JSON and HAL+JSON share one field list. */
const contentGroups = (content) => {
  const groups = new Map();
  for (const [type, media] of Object.entries(content ?? {})) {
    const key = JSON.stringify(media.schema ?? null);
    if (!groups.has(key)) groups.set(key, { types: [], schema: media.schema });
    groups.get(key).types.push(type);
  }
  return [...groups.values()];
};

const contentView = (spec, content, open) =>
  contentGroups(content).map(({ types, schema }) =>
    h(
      "details",
      { class: "schema", open },
      h("summary", {}, h("span", { class: "type-name" }, typeLabel(spec, schema)), " ", h("span", { class: "muted" }, types.join(", "))),
      schemaView(spec, schema),
    ),
  );

const operationView = (spec, { method, path, op, item }, onTry) => {
  const id = operationId(method, path);
  const params = [...(item.parameters ?? []), ...(op.parameters ?? [])];
  const responses = Object.entries(op.responses ?? {});
  const secured = (op.security ?? spec.security ?? []).length > 0;
  return h(
    "article",
    { class: "op", id, "aria-labelledby": `${id}-title`, "data-search": `${method} ${path} ${op.summary ?? ""}`.toLowerCase() },
    h(
      "header",
      { class: "op-head" },
      h("h4", { id: `${id}-title`, tabindex: "-1" }, methodBadge(method), " ", h("code", { class: "path" }, path)),
      // The explorer sends JSON bodies only: a form-only operation (the token endpoint) has its own form.
      op.requestBody && !jsonBodySchema(op)
        ? h("span", { class: "muted small" }, path === "/oauth/token" ? "Use the Access token form" : "Not sendable as JSON")
        : h(
            "button",
            { type: "button", class: "ghost try", onclick: () => onTry({ method: method.toUpperCase(), path, op }), "aria-label": `Try ${method.toUpperCase()} ${path} in the explorer` },
            "Try it",
          ),
    ),
    op.summary ? h("p", { class: "summary" }, op.summary) : null,
    op.description ? h("p", {}, op.description) : null,
    h("p", { class: "muted auth" }, secured ? "Requires a bearer access token." : "No token needed."),
    params.length ? [h("h5", {}, "Parameters"), parametersView(spec, params)] : null,
    op.requestBody
      ? [h("h5", {}, "Request body", resolve(spec, op.requestBody).required ? h("span", { class: "badge required" }, "required") : null), contentView(spec, resolve(spec, op.requestBody).content, true)]
      : null,
    h("h5", {}, "Responses"),
    h(
      "dl",
      { class: "responses" },
      responses.map(([code, r0]) => {
        const r = resolve(spec, r0);
        return [
          h("dt", {}, h("span", { class: `status-pill ${statusClass(code)}` }, code), " ", h("span", { class: "muted" }, REASONS[code] ?? ""), " ", r.description ?? ""),
          h("dd", {}, r.content ? contentView(spec, r.content, /^2/.test(code)) : h("span", { class: "muted" }, "No body.")),
        ];
      }),
    ),
  );
};

/**
 * Renders the whole reference into `content` and its table of contents into `toc`.
 * @param {{ onTry: (o: {method: string, path: string, op: object}) => void, onJump: (id: string) => void }} handlers
 */
export const renderReference = (spec, { content, toc }, { onTry, onJump }) => {
  const ops = operations(spec);
  const byPath = new Map();
  for (const o of ops) {
    if (!byPath.has(o.path)) byPath.set(o.path, []);
    byPath.get(o.path).push(o);
  }
  const security = Object.entries(spec.components?.securitySchemes ?? {});
  const jump = (id) => (e) => {
    e.preventDefault();
    onJump(id);
  };

  replace(
    toc,
    h("li", { class: "toc-intro" }, h("a", { href: "#reference:overview", onclick: jump("overview") }, "Overview")),
    [...byPath].map(([path, list]) =>
      h(
        "li",
        { class: "toc-path", "data-search": list.map((o) => `${o.method} ${o.path} ${o.op.summary ?? ""}`).join(" ").toLowerCase() },
        h("span", { class: "toc-path-name" }, breakable(path)),
        h(
          "ul",
          {},
          list.map((o) => {
            const id = operationId(o.method, o.path);
            return h(
              "li",
              { "data-search": `${o.method} ${o.path} ${o.op.summary ?? ""}`.toLowerCase() },
              h("a", { href: `#reference:${id}`, onclick: jump(id), title: `${o.method.toUpperCase()} ${o.path}` }, methodBadge(o.method), " ", o.op.summary ?? o.path),
            );
          }),
        ),
      ),
    ),
    h("li", { class: "toc-intro" }, h("a", { href: "#reference:schemas", onclick: jump("schemas") }, "Schemas")),
  );

  replace(
    content,
    h(
      "section",
      { id: "overview", class: "ref-intro", "aria-labelledby": "overview-title" },
      h("h2", { id: "overview-title", tabindex: "-1" }, spec.info?.title ?? "API reference", " ", h("span", { class: "muted version" }, `v${spec.info?.version ?? "?"}`)),
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
              ? ["OAuth 2.0 client credentials: ", h("code", {}, `POST ${scheme.flows.clientCredentials.tokenUrl}`), " with the client id and secret (HTTP Basic), then ", h("code", {}, "Authorization: Bearer <token>"), "."]
              : `${name}: ${scheme.type}`,
          ),
        ]),
        h("dt", {}, "Document"),
        h("dd", {}, h("a", { href: new URL("../openapi.json", location.href).pathname }, "openapi.json"), ` (OpenAPI ${spec.openapi})`),
      ),
    ),
    [...byPath].map(([path, list]) =>
      h(
        "section",
        { class: "path-group", "aria-label": path },
        h("h3", { class: "path-title" }, h("code", {}, breakable(path))),
        list.map((o) => operationView(spec, o, onTry)),
      ),
    ),
    h(
      "section",
      { id: "schemas", class: "schemas", "aria-labelledby": "schemas-title" },
      h("h2", { id: "schemas-title", tabindex: "-1" }, "Schemas"),
      Object.entries(spec.components?.schemas ?? {}).map(([name, schema]) =>
        h(
          "details",
          { class: "schema", id: `schema-${name}` },
          h("summary", {}, h("span", { class: "type-name" }, name), schema.description ? h("span", { class: "muted" }, ` — ${schema.description}`) : null),
          schemaView(spec, schema, 0, [`#/components/schemas/${name}`]),
        ),
      ),
    ),
  );
};

/** Shows only the operations (and TOC entries) whose method, path or summary contain `query`. */
export const filterReference = ({ content, toc }, query) => {
  const q = query.trim().toLowerCase();
  const words = q.split(/\s+/).filter(Boolean);
  const matches = (el) => words.every((w) => (el.dataset.search ?? "").includes(w));
  for (const el of content.querySelectorAll("article.op")) el.hidden = !matches(el);
  for (const group of content.querySelectorAll("section.path-group")) group.hidden = ![...group.querySelectorAll("article.op")].some((a) => !a.hidden);
  for (const el of toc.querySelectorAll("li[data-search]")) el.hidden = !matches(el);
  const intro = content.querySelector(".ref-intro");
  const schemas = content.querySelector(".schemas");
  if (intro) intro.hidden = words.length > 0;
  if (schemas) schemas.hidden = words.length > 0;
};
