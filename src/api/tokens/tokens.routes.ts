/**
 * `/applications/{applicationId}/users/{userId}/tokens`: a user's challenge tokens. `POST` makes
 * one (the server chooses it; no body needed), `GET` pages them, `GET …/tokens/{token}` is one
 * (so its `self` link can be followed) and `DELETE …/tokens/{token}` revokes it. Chat sessions of an application with `requireAuthenticatedSessions` must present
 * one of them (see `realtime/websocket.routes.ts`).
 */
import { createRoute } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../../http/errors";
import { hal, halContent, halCreated } from "../../http/hal";
import { requireOwnApplication } from "../../http/params";
import { PageQuery, pageMetadata, pageOffset } from "../../http/pagination";
import { createdContent, errorResponses, jsonBody } from "../../http/responses";
import { createRouter } from "../../http/router";
import { toUserResource } from "../users/users.present";
import { UserParams, UserResource } from "../users/users.schemas";
import { toTokenPage, toTokenResource } from "./tokens.present";
import { challengeTokenRevoked } from "../../chat/live-access";
import { deleteUserToken, findUserToken, insertUserToken, listUserTokensPage, MAX_TOKENS_PER_USER } from "../../chat/queries/user-tokens";
import { CreateTokenBody, TokenPage, TokenParams, TokenResource } from "./tokens.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound, 409: conflict, 415: unsupported } = errorResponses;

/**
 * A POST that declares `Content-Type: application/json` but sends nothing (curl with a JSON
 * header and no `--data`) means "no body", as a POST without Content-Type does; Hono's JSON
 * validator would call the empty string malformed JSON. Runs before the route's validators.
 */
const emptyJsonBodyAsEmptyObject = createMiddleware(async (c, next) => {
  if (/^application\/([\w.-]+\+)?json\b/i.test(c.req.header("Content-Type") ?? "")) {
    const text = c.req.raw.body ? await c.req.raw.text() : "";
    c.req.raw = new Request(c.req.raw, { body: text.trim() === "" ? "{}" : text });
  }
  await next();
});

const createTokenRoute = createRoute({
  method: "post",
  path: "/applications/{applicationId}/users/{userId}/tokens",
  summary: `Create a challenge token for a user (at most ${MAX_TOKENS_PER_USER} per user)`,
  middleware: [emptyJsonBodyAsEmptyObject] as const,
  // Optional: no body, an empty one, or `{}`.
  request: { params: UserParams, body: { ...jsonBody(CreateTokenBody), required: false } },
  responses: {
    201: createdContent(TokenResource, "The new token"),
    400: badRequest,
    401: unauthorized,
    404: notFound,
    409: { ...conflict, description: `The user already has ${MAX_TOKENS_PER_USER} tokens` },
    415: unsupported,
  },
});

const listTokensRoute = createRoute({
  method: "get",
  path: "/applications/{applicationId}/users/{userId}/tokens",
  summary: "A page of a user's challenge tokens, oldest first",
  request: { params: UserParams, query: PageQuery },
  responses: { 200: halContent(TokenPage, "A page of tokens"), 400: badRequest, 401: unauthorized, 404: notFound },
});

const getTokenRoute = createRoute({
  method: "get",
  path: "/applications/{applicationId}/users/{userId}/tokens/{token}",
  summary: "One of a user's challenge tokens",
  request: { params: TokenParams },
  responses: { 200: halContent(TokenResource, "The token"), 401: unauthorized, 404: notFound },
});

const deleteTokenRoute = createRoute({
  method: "delete",
  path: "/applications/{applicationId}/users/{userId}/tokens/{token}",
  summary: "Revoke one of a user's challenge tokens",
  request: { params: TokenParams },
  responses: { 200: halContent(UserResource, "The user"), 401: unauthorized, 404: notFound },
});

const userNotFound = (userId: number) => new ApiError("ResourceNotFoundError", `User ${userId} not found`);
const tokenNotFound = (userId: number) => new ApiError("ResourceNotFoundError", `User ${userId} has no such token`);

export const tokenRoutes = createRouter()
  .openapi(createTokenRoute, async (c) => {
    const { applicationId, userId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    const { token, user } = await insertUserToken(c.var.db, appId, userId);
    if (!user) throw userNotFound(userId);
    if (!token) {
      throw new ApiError(
        "DuplicateResourceError",
        `User ${userId} already has ${MAX_TOKENS_PER_USER} tokens, the most a user may hold; revoke one (DELETE it) before creating another`,
        { limit: MAX_TOKENS_PER_USER },
      );
    }
    const body = toTokenResource(appId, userId, token, c.var.links);
    return halCreated(c, body, body._links.self.href);
  })
  .openapi(listTokensRoute, async (c) => {
    const { applicationId, userId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    const query = c.req.valid("query");
    const { user, rows, total } = await listUserTokensPage(c.var.db, appId, userId, pageOffset(query), query.size);
    if (!user) throw userNotFound(userId);
    return hal(c, toTokenPage(appId, userId, rows, pageMetadata(query, total), c.req.url, c.var.links));
  })
  .openapi(getTokenRoute, async (c) => {
    const { applicationId, userId, token } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    const found = await findUserToken(c.var.db, appId, userId, token);
    if (!found.user) throw userNotFound(userId);
    if (!found.token) throw tokenNotFound(userId);
    return hal(c, toTokenResource(appId, userId, found.token, c.var.links));
  })
  .openapi(deleteTokenRoute, async (c) => {
    const { applicationId, userId, token } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    const { deletedId, user } = await deleteUserToken(c.var.db, appId, userId, token);
    if (!user) throw userNotFound(userId);
    if (deletedId === undefined) throw tokenNotFound(userId);
    await challengeTokenRevoked(c.env, appId, user, deletedId);
    return hal(c, toUserResource(appId, user, c.var.links));
  });
