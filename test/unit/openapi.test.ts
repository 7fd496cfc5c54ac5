/**
 * Structural invariants of the OpenAPI document, built straight from `createApp()`: every route
 * the app serves is documented (and nothing else is), every protected operation declares its
 * 401, responses are HAL or the error body, and the OAuth 2.0 scheme names its token URL. The
 * e2e suite (test/e2e/openapi.test.ts) checks the document against real responses.
 */
import { describe, it } from "vitest";
import { createApp } from "../../src/app";
import { openApiDocument } from "../../src/openapi";

const BASE = "https://chat.example.com";

/**
 * Routes that are not part of the Platform API: the chat-session transport of the ChatKitty SDK
 * (its WebSockets, `/stompx/websocket` and today's SDK's `/rtm/websocket`, and the HTTP streams:
 * a protocol of its own), and `/`, which sends browsers to the API Explorer.
 */
const UNDOCUMENTED = [/^\/stompx\//, /^\/rtm\/websocket$/, /^\/$/];

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

type Schema = { $ref?: string; properties?: Record<string, unknown>; required?: string[] };
type Response = { $ref?: string; content?: Record<string, { schema: Schema }>; headers?: Record<string, unknown> };
type Operation = {
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, Response>;
};

const app = createApp();
const doc = openApiDocument(app, BASE) as unknown as {
  openapi: string;
  security: unknown;
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Schema>;
    responses: Record<string, Response>;
    securitySchemes: Record<string, { type: string; flows: { clientCredentials?: { tokenUrl: string; scopes: object } } }>;
  };
};

const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method]! })),
);

/** `/v1/users/:userId{[0-9]+}` → `/v1/users/{userId}` */
const toTemplate = (honoPath: string) => honoPath.replace(/:(\w+)(\{[^}]*\})?/g, "{$1}");

const resolve = <T extends { $ref?: string }>(node: T): T => {
  let n: T = node;
  for (let i = 0; n.$ref && i < 10; i++) {
    n = n.$ref
      .slice(2)
      .split("/")
      .reduce<any>((at, key) => at?.[key], doc) as T;
    if (!n) throw new Error(`unresolvable $ref ${node.$ref}`);
  }
  return n;
};

const isPublic = (op: Operation) => Array.isArray(op.security) && op.security.length === 0;

describe("the OpenAPI document built from createApp()", () => {
  it("is OpenAPI 3.1 with the request's base URL as server", ({ expect }) => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.servers).toEqual([{ url: BASE }]);
  });

  it("documents every route the app serves, and only those", ({ expect }) => {
    const served = new Set(
      app.routes
        .filter((r) => r.method !== "ALL" && !UNDOCUMENTED.some((re) => re.test(r.path)))
        .map((r) => `${r.method.toLowerCase()} ${toTemplate(r.path)}`),
    );
    const documented = new Set(operations.map(({ method, path }) => `${method} ${path}`));
    expect(
      [...served].filter((r) => !documented.has(r)),
      "served but undocumented",
    ).toEqual([]);
    expect(
      [...documented].filter((r) => !served.has(r)),
      "documented but not served",
    ).toEqual([]);
    // Spot checks, so an empty route table cannot pass.
    for (const r of [
      "get /v1",
      "post /oauth/token",
      "get /.well-known/jwks.json",
      "post /v1/applications/{applicationId}/channels/{channelId}/messages",
    ]) {
      expect(documented).toContain(r);
    }
  });

  it("declares every path parameter of every template, required", ({ expect }) => {
    for (const { path, method, op } of operations) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((p) => p.in === "path");
      expect(declared.map((p) => p.name).sort(), `${method} ${path}`).toEqual([...inPath].sort());
      for (const p of declared) expect(p.required, `${method} ${path} {${p.name}}`).toBe(true);
    }
  });

  it("declares X-D1-Bookmark everywhere, If-None-Match and 304 on every GET, If-Match and 412 on the conditional writes", ({ expect }) => {
    const headers = (op: Operation) =>
      (op.parameters ?? []).map((p) => resolve(p as { $ref?: string; name?: string; in?: string })).filter((p) => p.in === "header");
    for (const { path, method, op } of operations) {
      const names = headers(op).map((p) => p.name);
      expect(names, `${method} ${path}`).toContain("X-D1-Bookmark");
      expect(names.includes("If-None-Match"), `${method} ${path}`).toBe(method === "get");
      expect(Boolean(op.responses["304"]), `${method} ${path}`).toBe(method === "get");
    }
    const conditional = operations.filter(({ op }) => headers(op).some((p) => p.name === "If-Match"));
    expect(conditional.map(({ method, path }) => `${method} ${path}`).sort()).toEqual([
      "delete /v1/applications/{applicationId}/channels/{channelId}",
      "delete /v1/applications/{applicationId}/messages/{messageId}",
      "delete /v1/applications/{applicationId}/users/{userId}",
      "delete /v1/channels/{channelId}",
      "delete /v1/messages/{messageId}",
      "delete /v1/users/{userId}",
      "patch /v1/applications/{applicationId}/users/{userId}",
      "patch /v1/channels/{channelId}",
      "patch /v1/messages/{messageId}",
      "patch /v1/users/{userId}",
      "post /v1/users/{userId}/display-picture",
      "put /v1/application/settings",
      "put /v1/applications/{applicationId}/users/{userId}",
    ]);
    for (const { op } of conditional) expect(op.responses["412"]).toBeDefined();
  });

  it("gives each operation a 2xx (or a 501: not offered), a 406, a 503 with Retry-After, and (unless public) a 401 with its challenge and a 429", ({
    expect,
  }) => {
    for (const { path, method, op } of operations) {
      const where = `${method.toUpperCase()} ${path}`;
      const codes = Object.keys(op.responses);
      expect(codes.some((c) => /^2\d\d$/.test(c)) !== codes.includes("501"), where).toBe(true);
      expect(codes, where).toContain("406");
      expect(resolve(op.responses["503"]!).headers, where).toHaveProperty("Retry-After");
      if (op.requestBody) expect(codes, where).toContain("413");
      if (!isPublic(op)) {
        expect(codes, where).toContain("401");
        expect(codes, where).toContain("429");
        expect(resolve(op.responses["401"]!).headers, where).toHaveProperty("WWW-Authenticate");
      }
    }
  });

  it("describes /v1 successes as HAL (with _links) and every 4xx as an application/json error body", ({ expect }) => {
    for (const { path, method, op } of operations) {
      for (const [code, r0] of Object.entries(op.responses)) {
        const where = `${method.toUpperCase()} ${path} ${code}`;
        const response = resolve(r0);
        const content = response.content ?? {};
        if (/^2/.test(code) && path.startsWith("/v1") && !isPublic(op)) {
          expect(Object.keys(content), where).toEqual(["application/hal+json"]);
          const schema = resolve(content["application/hal+json"]!.schema);
          expect(schema.required, where).toContain("_links");
          if (schema.properties?._embedded) expect(schema.required, where).toContain("_embedded");
        }
        if (/^4/.test(code)) {
          expect(Object.keys(content), where).toEqual(["application/json"]);
          const ref = content["application/json"]!.schema.$ref;
          expect(ref, where).toBe(
            path === "/oauth/token" && ["400", "401"].includes(code) ? "#/components/schemas/OAuthError" : "#/components/schemas/Error",
          );
        }
      }
    }
  });

  it("has only $refs that resolve", ({ expect }) => {
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of new Set(refs)) expect(() => resolve({ $ref: ref }), ref).not.toThrow();
  });

  it("secures the API with OAuth 2.0 client credentials at an absolute token URL", ({ expect }) => {
    expect(doc.security).toEqual([{ oauth2: [] }]);
    const scheme = doc.components.securitySchemes.oauth2!;
    expect(scheme.type).toBe("oauth2");
    expect(scheme.flows.clientCredentials).toEqual({ tokenUrl: `${BASE}/oauth/token`, scopes: {} });
    const token = doc.paths["/oauth/token"]!.post!;
    expect(token.security).toEqual([]);
    expect(Object.keys(token.requestBody!.content).sort()).toEqual(["application/x-www-form-urlencoded", "multipart/form-data"]);
  });

  it("states the length limits that refinements enforce", ({ expect }) => {
    const name = doc.components.schemas.CreateUserBody!.properties!.name as { minLength?: number; maxLength?: number };
    expect(name).toMatchObject({ minLength: 1, maxLength: 255 });
    const body = doc.components.schemas.CreateTextMessageBody!.properties!.body as { maxLength?: number };
    expect(body.maxLength).toBeGreaterThan(255);
  });
});
