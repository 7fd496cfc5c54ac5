/**
 * `GET /v1/openapi.json`: the OpenAPI 3.1 document, generated from the same route and zod schema
 * definitions that validate requests, so it cannot drift from what the Worker does. The token
 * endpoint (plain Hono, RFC 6749 form bodies) is described here by hand, once.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./env";

const OAuthError = z
  .object({ error: z.string().openapi({ example: "invalid_client" }), error_description: z.string() })
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

export const registerOpenApi = (app: OpenAPIHono<AppEnv>) => {
  app.openAPIRegistry.registerComponent("securitySchemes", "oauth2", {
    type: "oauth2",
    description: "OAuth 2.0 client credentials: POST /oauth/token with the application's client id and secret",
    flows: { clientCredentials: { tokenUrl: "/oauth/token", scopes: {} } },
  });
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/oauth/token",
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
      400: { description: "Missing or unsupported grant_type", content: { "application/json": { schema: OAuthError } } },
      401: { description: "Unknown client or wrong secret", content: { "application/json": { schema: OAuthError } } },
    },
  });

  app.get("/v1/openapi.json", (c) =>
    c.json(
      app.getOpenAPI31Document({
        openapi: "3.1.0",
        info: {
          title: "kitty-edge Platform API",
          version: "1.0.0",
          description: "ChatKitty-compatible Platform API: HAL+JSON resources for applications, users, channels and messages.",
        },
        servers: [{ url: c.var.links.base }],
        security: [{ oauth2: [] }],
      }),
    ),
  );
};
