// @ts-check
// RFC 6570 URI Templates (levels 1–4) for the explorer's templated HAL links,
// e.g. ".../users{?page,size,name}". Blank values count as undefined and are left out.

/**
 * How an expression's operator expands (RFC 6570 appendix A).
 * @typedef {{ first: string, sep: string, named: boolean, ifEmpty: string, reserved: boolean }} Operator
 */

/**
 * A variable of a template: `{name}`, `{name*}` (explode) or `{name:3}` (prefix).
 * @typedef {{ name: string, explode: boolean, prefix: number | undefined, operator: string }} Variable
 */

/** @type {Record<string, Operator>} */
const OPERATORS = {
  "": { first: "", sep: ",", named: false, ifEmpty: "", reserved: false },
  "+": { first: "", sep: ",", named: false, ifEmpty: "", reserved: true },
  "#": { first: "#", sep: ",", named: false, ifEmpty: "", reserved: true },
  ".": { first: ".", sep: ".", named: false, ifEmpty: "", reserved: false },
  "/": { first: "/", sep: "/", named: false, ifEmpty: "", reserved: false },
  ";": { first: ";", sep: ";", named: true, ifEmpty: "", reserved: false },
  "?": { first: "?", sep: "&", named: true, ifEmpty: "=", reserved: false },
  "&": { first: "&", sep: "&", named: true, ifEmpty: "=", reserved: false },
};

const EXPRESSION = /\{([^{}]*)\}/g;

/** @param {string} s */
const encodeUnreserved = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Keeps reserved characters and existing %XX triplets (operators + and #).
 * @param {string} s
 */
const encodeReserved = (s) =>
  s.replace(/%[0-9A-Fa-f]{2}|[^%]+|%/g, (part) =>
    /^%[0-9A-Fa-f]{2}$/.test(part) ? part : encodeURI(part).replace(/%5B/gi, "[").replace(/%5D/gi, "]"),
  );

/**
 * @param {string} body an expression without its braces
 * @returns {{ operator: string, variables: Variable[] }}
 */
const parseExpression = (body) => {
  const op = Object.hasOwn(OPERATORS, body[0]) && body[0] !== "" ? body[0] : "";
  const list = op ? body.slice(1) : body;
  const variables = list
    .split(",")
    .map((spec) => spec.trim())
    .filter(Boolean)
    .map((spec) => {
      const explode = spec.endsWith("*");
      const [name, prefix] = (explode ? spec.slice(0, -1) : spec).split(":");
      return { name, explode, prefix: prefix === undefined ? undefined : Number(prefix), operator: op };
    });
  return { operator: op, variables };
};

/**
 * The variables of a template, in order, without repeats.
 * @param {string} template
 * @returns {Variable[]}
 */
export const templateVariables = (template) => {
  /** @type {Map<string, Variable>} */
  const seen = new Map();
  for (const [, body] of template.matchAll(EXPRESSION)) {
    for (const v of parseExpression(body).variables) if (!seen.has(v.name)) seen.set(v.name, v);
  }
  return [...seen.values()];
};

/** @param {unknown} value */
const isDefined = (value) =>
  value !== undefined &&
  value !== null &&
  value !== "" &&
  !(Array.isArray(value) && value.length === 0) &&
  !(typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 0);

/**
 * Expands `template` with `values` (strings, arrays of strings, or objects of strings).
 * @param {string} template
 * @param {Record<string, unknown>} values
 * @returns {string}
 */
export const expandTemplate = (template, values) =>
  template.replace(EXPRESSION, (_, body) => {
    const { operator, variables } = parseExpression(body);
    const op = OPERATORS[operator];
    const encode = op.reserved ? encodeReserved : encodeUnreserved;
    /** @type {string[]} */
    const parts = [];
    for (const { name, explode, prefix } of variables) {
      const value = values[name];
      if (!isDefined(value)) continue;
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
        let s = String(value);
        if (prefix !== undefined) s = [...s].slice(0, prefix).join("");
        parts.push(op.named ? `${name}${s === "" ? op.ifEmpty : `=${encode(s)}`}` : encode(s));
        continue;
      }
      /** @type {[string | undefined, string][]} */
      const pairs = Array.isArray(value)
        ? value.map((v) => [undefined, String(v)])
        : Object.entries(/** @type {object} */ (value)).map(([k, v]) => [k, String(v)]);
      if (explode) {
        parts.push(
          pairs
            .map(([k, v]) => {
              if (k !== undefined) return `${encode(k)}=${encode(v)}`;
              return op.named ? `${name}=${encode(v)}` : encode(v);
            })
            .join(op.sep),
        );
      } else {
        const joined = pairs.flatMap(([k, v]) => (k === undefined ? [encode(v)] : [encode(k), encode(v)])).join(",");
        parts.push(op.named ? `${name}=${joined}` : joined);
      }
    }
    return parts.length ? op.first + parts.join(op.sep) : "";
  });
