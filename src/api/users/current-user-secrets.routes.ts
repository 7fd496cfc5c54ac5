/**
 * A user's secrets in the current form (no 2020 twin): `GET/PUT/DELETE /v1/users/{id}/secrets/{name}`.
 * The PUT and DELETE answer the user, as ChatKitty's do.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { JsonObject } from "../../db/schema";
import { hal, halContent, halLinks, link } from "../../http/hal";
import { currentJsonBody, errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";
import { MAX_SECRET_BYTES, readSecret, removeSecret, writeSecret } from "./user-secrets.operations";
import { toUserResource } from "./users.present";
import { CurrentUserParams, UserResource } from "./users.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound, 415: unsupported } = errorResponses;

const SecretParams = CurrentUserParams.extend({
  name: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/)
    .openapi({ description: "1 to 100 letters, digits, '.', '_' or '-'", example: "crm-token" }),
});

const secretValue = z
  .record(z.string(), z.unknown(), { error: "secret must be a JSON object" })
  .refine(
    (s) => new TextEncoder().encode(JSON.stringify(s)).length <= MAX_SECRET_BYTES,
    `secret must be at most ${MAX_SECRET_BYTES} bytes as JSON`,
  )
  .openapi({ type: "object", additionalProperties: true, description: "Any JSON object" });

/** ChatKitty's `SecretResource`. */
const SecretResource = z.object({ secret: secretValue }).openapi("SecretResource");
const SecretAnswer = z.object({ secret: secretValue, _links: halLinks(["user"]) }).openapi("SecretAnswer");

const getSecretRoute = createRoute({
  method: "get",
  path: "/users/{userId}/secrets/{name}",
  summary: "A user's secret",
  request: { params: SecretParams },
  responses: { 200: halContent(SecretAnswer, "The secret"), 401: unauthorized, 404: notFound },
});

const putSecretRoute = createRoute({
  method: "put",
  path: "/users/{userId}/secrets/{name}",
  summary: "Set a user's secret (replacing one of that name); answers the user, which shows no secrets",
  request: { params: SecretParams, body: currentJsonBody(SecretResource) },
  responses: { 200: halContent(UserResource, "The user"), 400: badRequest, 401: unauthorized, 404: notFound, 415: unsupported },
});

const deleteSecretRoute = createRoute({
  method: "delete",
  path: "/users/{userId}/secrets/{name}",
  summary: "Delete a user's secret; answers the user",
  request: { params: SecretParams },
  responses: { 200: halContent(UserResource, "The user"), 401: unauthorized, 404: notFound },
});

export const currentUserSecretRoutes = createRouter()
  .openapi(getSecretRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { userId, name } = c.req.valid("param");
    const secret = await readSecret(c, appId, userId, name);
    return hal(c, { secret, _links: { user: link(c.var.links.user(appId, userId)) } });
  })
  .openapi(putSecretRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { userId, name } = c.req.valid("param");
    const user = await writeSecret(c, appId, userId, name, c.req.valid("json").secret as JsonObject);
    return hal(c, toUserResource(appId, user, c.var.links));
  })
  .openapi(deleteSecretRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { userId, name } = c.req.valid("param");
    return hal(c, toUserResource(appId, await removeSecret(c, appId, userId, name), c.var.links));
  });
