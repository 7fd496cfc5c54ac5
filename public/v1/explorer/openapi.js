// @ts-check
// Reading the API's OpenAPI 3.1 document (GET /v1/openapi.json): the shapes the explorer uses,
// `$ref` resolution, which documented operation a request bar URL is, and example bodies.

/**
 * A JSON Schema, as far as the explorer reads it.
 * @typedef {object} Schema
 * @property {string} [$ref]
 * @property {string | string[]} [type]
 * @property {string} [format]
 * @property {string} [description]
 * @property {Record<string, Schema>} [properties]
 * @property {string[]} [required]
 * @property {Schema} [items]
 * @property {Schema[]} [oneOf]
 * @property {Schema[]} [anyOf]
 * @property {Schema[]} [allOf]
 * @property {{ propertyName?: string }} [discriminator]
 * @property {boolean | Schema} [additionalProperties]
 * @property {unknown[]} [enum]
 * @property {unknown} [const]
 * @property {unknown} [default]
 * @property {unknown} [example]
 * @property {unknown[]} [examples]
 * @property {boolean} [readOnly]
 * @property {number} [minLength]
 * @property {number} [maxLength]
 * @property {number} [minimum]
 * @property {number} [maximum]
 * @property {number} [minItems]
 * @property {number} [maxItems]
 * @property {string} [pattern]
 */

/**
 * @typedef {object} Parameter
 * @property {string} [$ref]
 * @property {string} name
 * @property {string} in
 * @property {boolean} [required]
 * @property {string} [description]
 * @property {Schema} [schema]
 */

/** @typedef {{ schema?: Schema }} MediaType */
/** @typedef {{ $ref?: string, required?: boolean, content?: Record<string, MediaType> }} RequestBody */
/** @typedef {{ $ref?: string, description?: string, content?: Record<string, MediaType> }} Response */

/**
 * @typedef {object} Operation
 * @property {string} [summary]
 * @property {string} [description]
 * @property {Parameter[]} [parameters]
 * @property {RequestBody} [requestBody]
 * @property {Record<string, Response>} [responses]
 * @property {unknown[]} [security]
 */

/** @typedef {"get" | "post" | "put" | "patch" | "delete" | "head" | "options"} Method */
/** @typedef {{ parameters?: Parameter[] } & { [M in Method]?: Operation }} PathItem */

/**
 * @typedef {object} SecurityScheme
 * @property {string} type
 * @property {{ clientCredentials?: { tokenUrl: string } }} [flows]
 */

/**
 * @typedef {object} Spec
 * @property {string} [openapi]
 * @property {{ title?: string, version?: string, description?: string }} [info]
 * @property {{ url?: string }[]} [servers]
 * @property {Record<string, PathItem>} [paths]
 * @property {{ schemas?: Record<string, Schema>, securitySchemes?: Record<string, SecurityScheme> }} [components]
 * @property {unknown[]} [security]
 */

/**
 * An operation of the document: its method, its path, itself and the path's item.
 * @typedef {{ method: Method, path: string, op: Operation, item: PathItem }} OperationEntry
 */

/** @type {Method[]} */
const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];

/** @param {string} ref */
export const refName = (ref) =>
  decodeURIComponent(/** @type {string} */ (ref.split("/").pop()))
    .replace(/~1/g, "/")
    .replace(/~0/g, "~");

/**
 * Resolves a local `$ref` (one or several hops); `{}` when there is nothing there.
 * @template {{ $ref?: string }} T
 * @param {Spec} spec
 * @param {T | undefined} schema
 * @returns {T}
 */
export const resolve = (spec, schema) => {
  /** @type {any} whatever the document holds at the reference */
  let s = schema;
  for (let i = 0; s?.$ref && i < 20; i++) {
    const path = s.$ref
      .replace(/^#\//, "")
      .split("/")
      .map((/** @type {string} */ p) => decodeURIComponent(p).replace(/~1/g, "/").replace(/~0/g, "~"));
    s = path.reduce((/** @type {any} */ node, /** @type {string} */ key) => node?.[key], spec);
  }
  return s ?? {};
};

/**
 * The id of an operation's section in the reference, e.g. `op-post-v1-applications-applicationid-users`.
 * @param {string} method lower case
 * @param {string} path
 */
export const operationId = (method, path) =>
  `op-${method}-${path
    .replace(/[{}]/g, "")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .toLowerCase()}`;

/**
 * Every operation as {method, path, op}, in document order.
 * @param {Spec} spec
 * @returns {OperationEntry[]}
 */
export const operations = (spec) =>
  Object.entries(spec.paths ?? {}).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: /** @type {Operation} */ (item[method]), item })),
  );

/**
 * The operation of a path for a method name as the request bar has it (lower-cased).
 * @param {PathItem} item
 * @param {string} method lower case
 * @returns {Operation | undefined}
 */
export const operationOf = (item, method) => item[/** @type {Method} */ (method)];

/**
 * The API path of `url` relative to the document's server (its path prefix removed), without query.
 * @param {Spec} spec
 * @param {string} url
 */
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

/** @param {string} template a documented path, e.g. `/v1/applications/{applicationId}` */
const pathRegex = (template) =>
  new RegExp(
    `^${template
      .split(/(\{[^}]+\})/)
      .map((part) => (part.startsWith("{") ? "([^/]+)" : part.replace(/[.*+?^$()|[\]\\]/g, "\\$&")))
      .join("")}/?$`,
  );

/**
 * The documented path that `url` falls under and its operations. Literal paths win over
 * templated ones (`/applications/me` over `/applications/{applicationId}`).
 * @param {Spec} spec
 * @param {string} url
 * @returns {{ path: string, item: PathItem } | undefined}
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

/**
 * The JSON request body schema of an operation, if it takes JSON.
 * @param {Operation | undefined} op
 * @returns {Schema | undefined}
 */
export const jsonBodySchema = (op) => {
  const content = op?.requestBody?.content ?? {};
  const type = Object.keys(content).find((t) => /json/i.test(t));
  return type ? content[type].schema : undefined;
};

/**
 * An example value for a schema: examples, defaults, the first enum value, else a placeholder.
 * @param {Spec} spec
 * @param {Schema | undefined} schema
 * @param {number} [depth]
 * @param {Set<string>} [seen] the `$ref`s being expanded (a recursive schema stops there)
 * @returns {unknown}
 */
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
