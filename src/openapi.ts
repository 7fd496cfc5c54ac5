/**
 * `GET /v1/openapi.json`: the OpenAPI 3.1 document, generated from the same route and zod schema
 * definitions that validate requests, so it cannot drift from what the Worker does. The plain
 * Hono endpoints (the token endpoint with its RFC 6749 form bodies, the JWKS, the health check
 * and this document) are described here by hand, once; so are the responses that app-wide
 * middleware (app.ts) can give to any operation: 406, 413 and 429, and the 503 of a transient
 * D1, R2 or Durable Object failure (http/errors.ts).
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./env";

const OAuthError = z
  .object({
    error: z.enum(["invalid_request", "invalid_client", "unsupported_grant_type"]).openapi({ example: "invalid_client" }),
    error_description: z.string(),
  })
  .openapi("OAuthError");

const TokenResponse = z
  .object({
    access_token: z.string(),
    token_type: z.literal("bearer"),
    expires_in: z.number().int(),
    scope: z.string().openapi({ example: "org:1:app" }),
  })
  .openapi("TokenResponse");

const TokenRequest = z.object({
  grant_type: z.literal("client_credentials"),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
  username: z.string().optional().openapi({ description: "Accepted for compatibility: must repeat client_id" }),
  password: z.string().optional().openapi({ description: "Accepted for compatibility: must repeat client_secret" }),
});

const JsonWebKeySet = z
  .object({
    keys: z.array(
      z.object({
        kty: z.string().openapi({ example: "EC" }),
        kid: z.string(),
        alg: z.string().openapi({ example: "ES256" }),
        use: z.literal("sig"),
        crv: z.string().optional().openapi({ example: "P-256" }),
        x: z.string().optional(),
        y: z.string().optional(),
      }),
    ),
  })
  .openapi("JsonWebKeySet");

const Health = z.object({ status: z.literal("ok") }).openapi("Health");

const TOKEN_PATH = "/oauth/token";

const oauth2Scheme = (tokenUrl: string) => ({
  type: "oauth2" as const,
  description: "OAuth 2.0 client credentials: POST /oauth/token with the application's client id and secret",
  flows: { clientCredentials: { tokenUrl, scopes: {} } },
});

/** Responses any operation may get from app-wide middleware, as `components.responses`. */
const errorRef = { $ref: "#/components/schemas/Error" };
const COMMON_RESPONSES = {
  NotAcceptable: {
    description: "The Accept header rules out JSON",
    content: { "application/json": { schema: errorRef } },
  },
  PayloadTooLarge: {
    description: "Request body over the size limit",
    content: { "application/json": { schema: errorRef } },
  },
  TooManyRequests: {
    description: "Too many requests (per application, or per client id at the token endpoint); retry later",
    headers: { "Retry-After": { description: "Seconds to wait before retrying", required: true, schema: { type: "string" } } },
    content: { "application/json": { schema: errorRef } },
  },
  ServiceUnavailable: {
    description: "D1, R2 or a Durable Object failed transiently (overloaded, reset, connection lost); retry later",
    headers: { "Retry-After": { description: "Seconds to wait before retrying", required: true, schema: { type: "string" } } },
    content: { "application/json": { schema: errorRef } },
  },
  NotModified: {
    description: "If-None-Match named the current ETag: nothing changed, no body",
    headers: { ETag: { description: "The current entity tag", required: true, schema: { type: "string" } } },
  },
  PreconditionFailed: {
    description: "If-Match named none of the resource's current ETags: it changed since it was read; nothing was written",
    content: { "application/json": { schema: errorRef } },
  },
} as const;

/** Request headers that http/bookmark.ts and http/conditional.ts read on every route, or on some. */
const COMMON_PARAMETERS = {
  D1Bookmark: {
    name: "X-D1-Bookmark",
    in: "header",
    required: false,
    description:
      "A bookmark from an earlier response's X-D1-Bookmark: this request reads at least that database state " +
      "(read-your-writes across requests). Every response that touched the database carries the newest one.",
    schema: { type: "string", pattern: "^[0-9a-fA-F]{8}-[0-9a-fA-F]{8}-[0-9a-fA-F]{8}-[0-9a-fA-F]{32}$" },
  },
  IfNoneMatch: {
    name: "If-None-Match",
    in: "header",
    required: false,
    description: "ETags of a copy the client holds: 304 with no body when one is still current",
    schema: { type: "string" },
  },
  IfMatch: {
    name: "If-Match",
    in: "header",
    required: false,
    description: "The ETag of the version this write is meant for (or *): 412 when the resource has changed since",
    schema: { type: "string" },
  },
} as const;

/** The writes whose handlers check If-Match (`requireMatch`). */
const CONDITIONAL_WRITES = new Set([
  "put /v1/applications/{applicationId}/users/{userId}",
  "patch /v1/applications/{applicationId}/users/{userId}",
  "delete /v1/applications/{applicationId}/users/{userId}",
  "delete /v1/applications/{applicationId}/channels/{channelId}",
  "delete /v1/applications/{applicationId}/messages/{messageId}",
  "patch /v1/users/{userId}",
  "delete /v1/users/{userId}",
  "post /v1/users/{userId}/display-picture",
  "patch /v1/channels/{channelId}",
  "delete /v1/channels/{channelId}",
  "patch /v1/messages/{messageId}",
  "delete /v1/messages/{messageId}",
  "put /v1/application/settings",
]);

export const registerOpenApi = (app: OpenAPIHono<AppEnv>) => {
  for (const [name, response] of Object.entries(COMMON_RESPONSES)) {
    app.openAPIRegistry.registerComponent("responses", name, response);
  }
  for (const [name, parameter] of Object.entries(COMMON_PARAMETERS)) {
    app.openAPIRegistry.registerComponent("parameters", name, parameter);
  }
  app.openAPIRegistry.registerPath({
    method: "post",
    path: TOKEN_PATH,
    summary: "Get an access token (client credentials, HTTP Basic or form fields)",
    security: [],
    request: {
      body: {
        required: true,
        content: {
          "application/x-www-form-urlencoded": { schema: TokenRequest },
          "multipart/form-data": { schema: TokenRequest },
        },
      },
    },
    responses: {
      200: { description: "A bearer token", content: { "application/json": { schema: TokenResponse } } },
      400: {
        description: "Not a form, missing or unsupported grant_type",
        content: { "application/json": { schema: OAuthError } },
      },
      401: {
        description: "Missing, unknown or wrong client credentials",
        headers: { "WWW-Authenticate": { description: "Basic challenge", required: true, schema: { type: "string" } } },
        content: { "application/json": { schema: OAuthError } },
      },
    },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/.well-known/jwks.json",
    summary: "The public keys that verify access tokens (JWKS)",
    security: [],
    responses: { 200: { description: "The key set", content: { "application/json": { schema: JsonWebKeySet } } } },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/healthz",
    summary: "Liveness check",
    security: [],
    responses: { 200: { description: "The Worker is up", content: { "application/json": { schema: Health } } } },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/v1/openapi.json",
    summary: "This OpenAPI 3.1 document",
    security: [],
    responses: {
      200: {
        description: "The OpenAPI document",
        content: {
          "application/json": {
            schema: {
              type: "object",
              properties: {
                openapi: { type: "string", pattern: "^3\\.1\\.\\d+$" },
                info: { type: "object" },
                paths: { type: "object" },
              },
              required: ["openapi", "info", "paths"],
              additionalProperties: true,
            },
          },
        },
      },
    },
  });

  // One document per isolate and base URL (the last one asked for: hosts are the caller's to choose).
  let memo: { base: string; doc: OpenApiDocument } | undefined;
  app.get("/v1/openapi.json", (c) => {
    const base = c.var.links.base;
    if (memo?.base !== base) memo = { base, doc: openApiDocument(app, base) };
    return c.json(memo.doc, 200, { "Cache-Control": "public, max-age=300" });
  });
};

type OpenApiDocument = ReturnType<OpenAPIHono["getOpenAPI31Document"]>;
type Operation = { security?: unknown[]; requestBody?: unknown; parameters?: unknown[]; responses: Record<string, unknown> };

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

/**
 * The document for clients calling `baseUrl`: the generated one, plus what middleware adds to
 * every operation, with the token URL absolute.
 */
export const openApiDocument = (app: OpenAPIHono<AppEnv>, baseUrl: string): OpenApiDocument => {
  const doc = app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "kitty-edge Platform API",
      version: "1.0.0",
      description:
        "ChatKitty-compatible Platform API: HAL+JSON resources for applications, users, channels and messages. " +
        "Errors are application/json bodies {error, message, timestamp, properties?}. " +
        "A method a path does not accept is answered 405 MethodNotAllowedError with an Allow header. " +
        "Responses carry X-D1-Bookmark (send it back to read your writes) and, for GET, a strong ETag (If-None-Match → 304).",
    },
    servers: [{ url: baseUrl }],
    security: [{ oauth2: [] }],
  });
  doc.components = {
    ...doc.components,
    securitySchemes: { ...doc.components?.securitySchemes, oauth2: oauth2Scheme(new URL(TOKEN_PATH, baseUrl).href) },
  };
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = (item as Partial<Record<(typeof METHODS)[number], Operation>>)[method];
      if (op) addMiddlewareResponses(path, method, op);
    }
  }
  dropUnusableDiscriminators(doc);
  return doc;
};

/** What app.ts's middleware can answer before or around any route (`??=`: a route's own wins). */
const addMiddlewareResponses = (path: string, method: string, op: Operation) => {
  const ref = (name: keyof typeof COMMON_RESPONSES) => ({ $ref: `#/components/responses/${name}` });
  const parameter = (name: keyof typeof COMMON_PARAMETERS) => ({ $ref: `#/components/parameters/${name}` });
  op.parameters = [...(op.parameters ?? []), parameter("D1Bookmark")]; // d1Session: every route
  if (method === "get") {
    op.parameters.push(parameter("IfNoneMatch")); // conditionalGet
    op.responses["304"] ??= ref("NotModified");
  }
  if (CONDITIONAL_WRITES.has(`${method} ${path}`)) {
    op.parameters.push(parameter("IfMatch"));
    op.responses["412"] ??= ref("PreconditionFailed");
  }
  const isPublic = Array.isArray(op.security) && op.security.length === 0;
  op.responses["406"] ??= ref("NotAcceptable"); // requireJsonAccept: every route
  if (op.requestBody) op.responses["413"] ??= ref("PayloadTooLarge"); // bodyLimit
  // apiRateLimit counts every authenticated /v1 request; tokenRateLimit every token request.
  if (!isPublic || (path === TOKEN_PATH && method === "post")) op.responses["429"] ??= ref("TooManyRequests");
  op.responses["503"] ??= ref("ServiceUnavailable"); // onError: any route that touches storage
};

/**
 * OpenAPI requires a discriminator property to be present in every alternative; a union where one
 * alternative may omit it (a text message's `type` defaults to TEXT) keeps its `oneOf` but loses
 * the discriminator, which would mislead code generators.
 */
const dropUnusableDiscriminators = (doc: OpenApiDocument) => {
  const schemas = (doc.components?.schemas ?? {}) as Record<string, Record<string, unknown>>;
  const resolve = (s: { $ref?: string }) =>
    (s.$ref ? schemas[s.$ref.replace("#/components/schemas/", "")] : s) as { required?: string[] } | undefined;
  for (const schema of Object.values(schemas)) {
    const discriminator = schema.discriminator as { propertyName: string } | undefined;
    const options = schema.oneOf as { $ref?: string }[] | undefined;
    if (!discriminator || !options) continue;
    if (!options.every((o) => resolve(o)?.required?.includes(discriminator.propertyName))) delete schema.discriminator;
  }
};
