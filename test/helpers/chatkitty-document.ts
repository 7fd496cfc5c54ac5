/**
 * Checks a response against ChatKitty's own OpenAPI document (version 2.41.9, the authoritative
 * shapes of the current Platform API, spec platform-api-current.md): the operation is named as
 * `"GET /v1/users"`, the status picks its response schema (a 201 uses the 200's, an error status
 * the document does not list uses `ApiError`, as the spec extends it to 405-503), and Ajv 8
 * validates the body with every `$ref` resolved. The document is OpenAPI 3.0: `nullable` is
 * understood, `example` ignored, and a `discriminator` with a `mapping` (which Ajv does not
 * support) becomes "the variant its `type` names", so a PUBLIC channel is checked as a
 * `PublicChannelResource`, not against every variant.
 * The document is a verbatim copy in test/fixtures/ (a clone needs nothing beside it); Vite bundles
 * it at import time, so it needs no file access inside workerd.
 * Pure (no Worker types), so the Node end-to-end tests use it too; chatkitty-schema.ts wraps it
 * for the API tests' client.
 * @example chatKittyErrors("GET /v1/users/{id}", 200, body) // [] when it validates
 */
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import chatkitty from "../fixtures/chatkitty-openapi-2.41.9.json";

type Schema = Record<string, unknown>;
type Operation = { responses: Record<string, { content?: Record<string, { schema: Schema }> }> };

export const doc = chatkitty as unknown as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
};

const COMPONENTS_ID = "urn:chatkitty:components";

/** The test's copy of a schema: refs into the registered components, discriminators as if/then. */
const prepare = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(prepare);
  if (node === null || typeof node !== "object") return node;
  const { discriminator, oneOf, example: _example, ...rest } = node as Schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(rest)) {
    out[k] = k === "$ref" && typeof v === "string" ? v.replace(/^#\/components\/schemas\//, `${COMPONENTS_ID}#/schemas/`) : prepare(v);
  }
  const mapping = (discriminator as { propertyName: string; mapping?: Record<string, string> } | undefined)?.mapping;
  if (discriminator && mapping) {
    const { propertyName } = discriminator as { propertyName: string };
    const required = new Set([...((out.required as string[] | undefined) ?? []), propertyName]);
    out.required = [...required];
    out.properties = { ...(out.properties as Schema | undefined), [propertyName]: { enum: Object.keys(mapping) } };
    // "type is not this value, or the body is this variant", for each value: if/then, spelled
    // without a `then` key (an object with one looks like a promise to await).
    out.allOf = Object.entries(mapping).map(([value, ref]) => ({
      anyOf: [{ properties: { [propertyName]: { not: { const: value } } } }, prepare({ $ref: ref })],
    }));
  } else if (oneOf) {
    out.oneOf = prepare(oneOf);
  }
  return out;
};

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
ajv.addSchema({ $id: COMPONENTS_ID, schemas: prepare(doc.components.schemas) });

const validators = new Map<string, ValidateFunction>();

/** The document's schema of `operation`'s response with this status. */
const responseSchema = (operation: string, status: number): Schema => {
  const [method = "", path = ""] = operation.split(" ");
  const op = doc.paths[path]?.[method.toLowerCase()];
  if (!op) throw new Error(`ChatKitty's document has no operation ${operation}`);
  const declared = op.responses[String(status)]?.content;
  if (declared) return Object.values(declared)[0]!.schema;
  // Creates answer 201 where the document says 200 (spec §2: any 2xx, same body).
  const success = op.responses["200"]?.content;
  if (status === 201 && success) return Object.values(success)[0]!.schema;
  if (status >= 400) return { $ref: `#/components/schemas/${status === 401 || status === 403 ? "AuthenticationError" : "ApiError"}` };
  throw new Error(`ChatKitty's document gives ${operation} no ${status} response`);
};

/** The validator of `operation` at `status`, compiled once per test file. */
const chatKittyValidator = (operation: string, status: number): ValidateFunction => {
  const key = `${operation} ${status}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(prepare(responseSchema(operation, status)) as Schema);
    validators.set(key, validate);
  }
  return validate;
};

/** Errors of `body` against the document's schema for `operation` at `status` (empty: it validates). */
export const chatKittyErrors = (operation: string, status: number, body: unknown): string[] => {
  const validate = chatKittyValidator(operation, status);
  return validate(body) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`);
};
