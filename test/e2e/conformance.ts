/**
 * The conformance check of test/e2e/openapi.test.ts: given the Worker's OpenAPI document, finds
 * the documented operation of a request (through the document's own `paths`, a literal segment
 * beating a template) and checks the response against it: the status is one the operation
 * declares, the body validates (Ajv, JSON Schema 2020-12) against the schema declared for that
 * operation, status and media type, required headers are present, no object carries a field the
 * document does not declare, and what the server accepted the document accepts too. It records
 * every `METHOD template status` it saw.
 */
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";

type Schema = Record<string, unknown>;
type MediaTypes = Record<string, { schema?: Schema }>;
type Response = { $ref?: string; content?: MediaTypes; headers?: Record<string, { required?: boolean }> };
type Operation = {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: MediaTypes };
  responses: Record<string, Response>;
};
export type Observed = { status: number; headersOf: Headers };
export type Doc = {
  openapi: string;
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; responses?: Record<string, Response> };
};

export const HTTP_METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];
const COMPONENTS_ID = "urn:kitty-edge:openapi-components";

/**
 * The test's copy of a schema: `#/components/...` refs point into the registered components, and
 * every object that lists its properties (without saying what else it allows) allows nothing
 * else, so an undocumented field in a response fails.
 */
const strictCopy = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(strictCopy);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "$ref" && typeof v === "string") out[k] = v.replace(/^#\/components\/schemas\//, `${COMPONENTS_ID}#/$defs/`);
    else out[k] = k === "example" ? v : strictCopy(v);
  }
  if (out.type === "object" && out.properties && !("additionalProperties" in out)) out.unevaluatedProperties = false;
  return out;
};

/** Finds the operation of a request and checks the response against it. */
export class Conformance {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly templates: { template: string; re: RegExp; params: number }[];
  private readonly serverPath: string;
  /** `METHOD template status` of every response seen. */
  readonly seen = new Set<string>();

  constructor(readonly doc: Doc) {
    addFormats(this.ajv);
    // OpenAPI's annotation keywords, and its "binary" format for file parts.
    this.ajv.addVocabulary(["example", "discriminator", "xml", "externalDocs"]);
    this.ajv.addFormat("binary", true);
    this.ajv.addSchema({ $id: COMPONENTS_ID, $defs: strictCopy(doc.components.schemas) });
    this.serverPath = new URL(doc.servers[0]!.url).pathname.replace(/\/$/, "");
    this.templates = Object.keys(doc.paths).map((template) => ({
      template,
      re: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[^}]+\\?\}/g, "[^/]+")}$`),
      params: (template.match(/\{/g) ?? []).length,
    }));
  }

  /** The documented path a concrete one falls under; a literal segment beats a template. */
  templateOf(pathname: string): string | undefined {
    const path = pathname.startsWith(this.serverPath) ? pathname.slice(this.serverPath.length) : pathname;
    return this.templates.filter((t) => t.re.test(path)).sort((a, b) => a.params - b.params)[0]?.template;
  }

  private resolveResponse(r: Response): Response {
    return r.$ref ? this.doc.components.responses![r.$ref.split("/").pop()!]! : r;
  }

  private validator(key: string, schema: Schema): ValidateFunction {
    let v = this.validators.get(key);
    if (!v) {
      v = this.ajv.compile(strictCopy(schema) as Schema);
      this.validators.set(key, v);
    }
    return v;
  }

  private fail(where: string, message: string, body?: unknown): never {
    throw new Error(`${where}: ${message}${body === undefined ? "" : `\n${JSON.stringify(body, null, 2).slice(0, 2000)}`}`);
  }

  check(method: string, url: URL, request: { contentType?: string; body?: unknown }, res: Observed, body: unknown) {
    const template = this.templateOf(url.pathname);
    const where = `${method} ${url.pathname}${url.search} → ${res.status}`;
    if (!template) this.fail(where, "no documented path matches");
    const item = this.doc.paths[template]!;
    const op = item[method.toLowerCase()];
    if (!op) {
      // A method the path does not take: 405, naming exactly the documented methods.
      if (res.status !== 405) this.fail(where, `${method} is not documented for ${template}`, body);
      const documented = HTTP_METHODS.filter((m) => item[m]).map((m) => m.toUpperCase());
      const allow = (res.headersOf.get("Allow") ?? "").split(/,\s*/).filter((m) => m && m !== "HEAD");
      if (allow.sort().join() !== documented.sort().join()) this.fail(where, `Allow: ${allow} but documented: ${documented}`);
      this.validateBody(`405 ${template}`, where, { $ref: "#/components/schemas/Error" }, body);
      this.seen.add(`${method} ${template} 405`);
      return;
    }
    for (const name of new Set(url.searchParams.keys())) {
      if (!op.parameters?.some((p) => p.in === "query" && p.name === name)) this.fail(where, `query parameter ${name} is not documented`);
    }
    const declared = op.responses[String(res.status)] ?? op.responses.default;
    if (!declared) this.fail(where, `status not declared (declared: ${Object.keys(op.responses)})`, body);
    const response = this.resolveResponse(declared);
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      if (header.required && !res.headersOf.has(name)) this.fail(where, `required header ${name} missing`);
    }
    const mediaType = (res.headersOf.get("Content-Type") ?? "").split(";")[0]!.trim();
    if (!response.content) {
      if (body !== "") this.fail(where, "the document declares no body", body);
    } else {
      const schema = response.content[mediaType]?.schema;
      if (!schema) this.fail(where, `media type ${mediaType} not declared (${Object.keys(response.content)})`, body);
      this.validateBody(`${method} ${template} ${res.status} ${mediaType}`, where, schema, body);
    }
    // What the server accepted, the document must accept too.
    if (res.status < 300 && request.contentType && request.body !== undefined) {
      const schema = op.requestBody?.content[request.contentType]?.schema;
      if (!schema) this.fail(where, `request media type ${request.contentType} not documented`);
      this.validateBody(`request ${method} ${template} ${request.contentType}`, `${where} (request body)`, schema, request.body);
    }
    this.seen.add(`${method} ${template} ${res.status}`);
  }

  private validateBody(key: string, where: string, schema: Schema, body: unknown) {
    const validate = this.validator(key, schema);
    if (!validate(body)) this.fail(where, `does not match the document: ${this.ajv.errorsText(validate.errors)}`, body);
  }
}
