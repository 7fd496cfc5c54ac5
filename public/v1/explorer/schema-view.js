// @ts-check
// Schemas of the OpenAPI document as readable type names (`array of UserResource`) and nested
// field lists: required or optional, description, constraints; `$ref`s resolved and folded away.
import { h } from "./dom.js";
import { refName, resolve } from "./openapi.js";

/** @typedef {import("./openapi.js").Schema} Schema */
/** @typedef {import("./openapi.js").Spec} Spec */

/**
 * @param {Spec} spec
 * @param {Schema | undefined} schema
 */
const primitive = (spec, schema) => {
  const s = resolve(spec, schema);
  return !s.properties && !s.items && !s.oneOf && !s.anyOf && !s.allOf && s.type !== "object";
};

/**
 * A short, readable type: `string (date-time)`, `array of UserResource`, `"A" | "B"`.
 * @param {Spec} spec
 * @param {Schema | undefined} schema
 * @returns {string}
 */
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

/**
 * A schema's limits, defaults and example as small labelled chips.
 * @param {Schema} schema
 */
export const constraints = (schema) => {
  /** @type {HTMLElement[]} */
  const out = [];
  /**
   * @param {string} label
   * @param {string} value
   */
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

/**
 * The fields of an object schema (or the alternatives of a oneOf/anyOf) as a nested list.
 * @param {Spec} spec
 * @param {Schema | undefined} schema
 * @param {number} [depth]
 * @param {string[]} [stack] the `$ref`s being shown (a recursive schema stops there)
 * @returns {HTMLElement}
 */
export const schemaView = (spec, schema, depth = 0, stack = []) => {
  if (!schema) return h("p", { class: "muted" }, "No schema.");
  if (schema.$ref) {
    if (stack.includes(schema.$ref)) return h("p", { class: "muted" }, `${refName(schema.$ref)} (recursive, see above)`);
    return schemaView(spec, resolve(spec, schema), depth, [...stack, schema.$ref]);
  }
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives) return alternativesView(spec, schema, alternatives, depth, stack);
  if (schema.type === "array" || schema.items) {
    return h(
      "div",
      {},
      h("p", { class: "muted" }, "Array of ", h("span", { class: "type-name" }, typeLabel(spec, schema.items))),
      fieldsOrNothing(spec, schema.items, depth + 1, stack),
    );
  }
  if (!schema.properties) {
    return h("p", { class: "muted" }, typeLabel(spec, schema), schema.description ? ` — ${schema.description}` : "");
  }
  const required = new Set(schema.required ?? []);
  return h(
    "ul",
    { class: "fields" },
    Object.entries(schema.properties).map(([name, prop]) => fieldView(spec, name, prop, required.has(name), depth, stack)),
  );
};

/**
 * "One of:" / "Any of:" and each alternative with its fields.
 * @param {Spec} spec
 * @param {Schema} schema
 * @param {Schema[]} alternatives
 * @param {number} depth
 * @param {string[]} stack
 */
const alternativesView = (spec, schema, alternatives, depth, stack) => {
  const disc = schema.discriminator?.propertyName;
  return h(
    "div",
    { class: "alternatives" },
    h("p", { class: "muted" }, schema.oneOf ? "One of:" : "Any of:", disc ? [" (told apart by ", h("code", {}, disc), ")"] : null),
    h(
      "ol",
      { class: "alt-list" },
      alternatives.map((alt) =>
        h("li", {}, h("span", { class: "type-name" }, typeLabel(spec, alt)), fieldsOrNothing(spec, alt, depth + 1, stack)),
      ),
    ),
  );
};

/**
 * One property of an object schema: name, type, required or optional, description, constraints,
 * and its own fields (folded away when they are a referenced schema).
 * @param {Spec} spec
 * @param {string} name
 * @param {Schema} prop
 * @param {boolean} required
 * @param {number} depth
 * @param {string[]} stack
 */
const fieldView = (spec, name, prop, required, depth, stack) => {
  const resolved = resolve(spec, prop);
  const description = prop.description ?? resolved.description;
  const head = h(
    "div",
    { class: "field-head" },
    h("code", { class: "field-name" }, name),
    h("span", { class: "field-type" }, typeLabel(spec, prop)),
    required ? h("span", { class: "badge required" }, "required") : h("span", { class: "badge optional" }, "optional"),
  );
  const li = h(
    "li",
    {},
    head,
    description ? h("p", { class: "field-desc" }, description) : null,
    h("div", { class: "constraints" }, constraints(resolved)),
  );
  const target = prop.$ref ?? prop.items?.$ref;
  if (target && isSmallRef(spec, target)) {
    // A small referenced shape (HalLink) is shown inline: `{ href, templated? }`.
    head.append(h("span", { class: "shape" }, shapeOf(spec, target)));
    return li;
  }
  const nested = fieldsOrNothing(spec, prop, depth + 1, stack);
  // Referenced schemas fold away (UserResource, PageMetadata, …); inline objects stay open.
  if (nested) li.append(target ? h("details", { class: "nested" }, h("summary", {}, `Fields of ${refName(target)}`), nested) : nested);
  return li;
};

/**
 * @param {Spec} spec
 * @param {string} ref
 */
const isSmallRef = (spec, ref) => {
  const s = resolve(spec, /** @type {Schema} */ ({ $ref: ref }));
  const props = Object.values(s.properties ?? {});
  return props.length > 0 && props.length <= 2 && props.every((p) => primitive(spec, p));
};

/**
 * @param {Spec} spec
 * @param {string} ref
 */
const shapeOf = (spec, ref) => {
  const s = resolve(spec, /** @type {Schema} */ ({ $ref: ref }));
  const required = new Set(s.required ?? []);
  return `{ ${Object.keys(/** @type {Record<string, Schema>} */ (s.properties))
    .map((k) => (required.has(k) ? k : `${k}?`))
    .join(", ")} }`;
};

/**
 * Nested fields of a property, or null when it is a plain value.
 * @param {Spec} spec
 * @param {Schema | undefined} schema
 * @param {number} depth
 * @param {string[]} stack
 * @returns {HTMLElement | null}
 */
const fieldsOrNothing = (spec, schema, depth, stack) => {
  if (!schema || depth > 8) return null;
  if (schema.$ref && stack.includes(schema.$ref)) return h("p", { class: "muted" }, `${refName(schema.$ref)} (recursive, see above)`);
  const s = resolve(spec, schema);
  const nextStack = schema.$ref ? [...stack, schema.$ref] : stack;
  if (s.properties || s.oneOf || s.anyOf) return schemaView(spec, s, depth, nextStack);
  if ((s.type === "array" || s.items) && s.items && !primitive(spec, s.items)) return fieldsOrNothing(spec, s.items, depth + 1, nextStack);
  return null;
};
