/**
 * Users in the current (token-scoped) form, `/v1/users/…`: the application is the token's. Each
 * handler reads its request, calls the operation the 2020 routes call (users.operations.ts) and
 * presents the user with the one presenter, whose links keep their 2020 hrefs (as ChatKitty's do).
 */
import { createRoute } from "@hono/zod-openapi";
import type { UserChanges, UserRow } from "../../chat/queries/users";
import { ApiError } from "../../http/errors";
import { hal, halContent, halCreated } from "../../http/hal";
import { CurrentPageQuery } from "../../http/pagination";
import { createdContent, currentJsonBody, errorResponses, mergePatchBody } from "../../http/responses";
import { createRouter } from "../../http/router";
import { sortParam } from "../../http/sorting";
import { toApplicationResource } from "../applications/applications.present";
import { ApplicationResource } from "../applications/applications.schemas";
import { toChannelPage } from "../channels/channels.present";
import { ChannelPage } from "../channels/channels.schemas";
import { toUserPage, toUserResource } from "./users.present";
import { changeUser, createUser, listChannelsOfUser, listUsers, loadUser, refuseReadOnlyChanges, removeUser } from "./users.operations";
import { CreateUserBody, CurrentUserListQuery, CurrentUserParams, UserMergePatch, UserPage, UserResource } from "./users.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound, 409: conflict, 415: unsupported } = errorResponses;

const createUserRoute = createRoute({
  method: "post",
  path: "/users",
  summary: "Create a user",
  request: { body: currentJsonBody(CreateUserBody) },
  responses: {
    201: createdContent(UserResource, "The new user"),
    400: badRequest,
    401: unauthorized,
    409: { ...conflict, description: "The name is taken in this application" },
    415: unsupported,
  },
});

const listUsersRoute = createRoute({
  method: "get",
  path: "/users",
  summary: "A page of users (ascending id unless sorted), filtered by exact name or properties",
  description:
    "HEAD /v1/users?name=… answers whether a user has exactly that name: 200 if one does, 404 if none, no body " +
    "(HEAD shares this route: Hono serves HEAD through GET).",
  request: { query: CurrentUserListQuery },
  responses: {
    200: halContent(UserPage, "A page of users"),
    400: badRequest,
    401: unauthorized,
    404: { ...notFound, description: "HEAD with name only: no user has that name (no body)" },
  },
});

const getUserRoute = createRoute({
  method: "get",
  path: "/users/{userId}",
  summary: "A user",
  request: { params: CurrentUserParams },
  responses: { 200: halContent(UserResource, "The user"), 401: unauthorized, 404: notFound },
});

const patchUserRoute = createRoute({
  method: "patch",
  path: "/users/{userId}",
  summary: "Change a user with a JSON merge patch (RFC 7396): null removes, properties merge key by key",
  request: { params: CurrentUserParams, body: mergePatchBody(UserMergePatch) },
  responses: {
    200: halContent(UserResource, "The user"),
    400: { ...badRequest, description: "An invalid member, or a different id or name (neither can change)" },
    401: unauthorized,
    404: notFound,
    415: unsupported,
  },
});

const deleteUserRoute = createRoute({
  method: "delete",
  path: "/users/{userId}",
  summary: "Delete a user, their memberships and the messages they sent",
  request: { params: CurrentUserParams },
  responses: { 200: halContent(ApplicationResource, "The application"), 401: unauthorized, 404: notFound },
});

const listUserChannelsRoute = createRoute({
  method: "get",
  path: "/users/{userId}/channels",
  summary: "A page of the channels a user created or joined (PUBLIC, PRIVATE and DIRECT; never OPEN)",
  request: { params: CurrentUserParams, query: CurrentPageQuery.extend({ sort: sortParam(["id", "createdTime"]) }) },
  responses: { 200: halContent(ChannelPage, "A page of channels"), 400: badRequest, 401: unauthorized, 404: notFound },
});

/** RFC 7396: a member left out stays, `null` removes it (back to its default), `properties` merges. */
const mergePatchChanges =
  (patch: UserMergePatch) =>
  (current: UserRow): UserChanges => {
    refuseReadOnlyChanges(current, patch);
    const { displayName, isGuest, properties } = patch;
    return {
      ...(displayName !== undefined ? { displayName } : {}),
      ...(isGuest !== undefined ? { isGuest: isGuest ?? false } : {}),
      ...(properties === null ? { properties: {} } : properties !== undefined ? { propertiesPatch: properties } : {}),
    };
  };

export const currentUserRoutes = createRouter()
  .openapi(createUserRoute, async (c) => {
    const body = toUserResource(c.var.auth.applicationId, await createUser(c, c.var.auth.applicationId, c.req.valid("json")), c.var.links);
    return halCreated(c, body, body._links.self.href);
  })
  .openapi(listUsersRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const query = c.req.valid("query");
    const { rows, meta } = await listUsers(c, appId, query);
    // HEAD ?name= asks whether that user exists (ChatKitty's check-user-exists): 404 when not,
    // where GET answers an empty page. Otherwise HEAD answers GET's headers (Hono drops the body).
    if (c.req.method === "HEAD" && query.name !== undefined && meta.totalElements === 0) {
      throw new ApiError("ResourceNotFoundError", `No user is named ${JSON.stringify(query.name)}`);
    }
    return hal(c, toUserPage(appId, rows, meta, c.req.url, c.var.links, c.var.links.currentUsers()));
  })
  .openapi(getUserRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    return hal(c, toUserResource(appId, await loadUser(c, appId, c.req.valid("param").userId), c.var.links));
  })
  .openapi(patchUserRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const user = await changeUser(c, appId, c.req.valid("param").userId, mergePatchChanges(c.req.valid("json")));
    return hal(c, toUserResource(appId, user, c.var.links));
  })
  .openapi(deleteUserRoute, async (c) => {
    const app = await removeUser(c, c.var.auth.applicationId, c.req.valid("param").userId);
    return hal(c, toApplicationResource(app, c.var.links));
  })
  .openapi(listUserChannelsRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { userId } = c.req.valid("param");
    const query = c.req.valid("query");
    const { views, meta } = await listChannelsOfUser(c, appId, userId, query, { scope: "joined", sort: query.sort });
    return hal(c, toChannelPage(appId, views, meta, c.var.links.currentUserChannels(userId), c.req.url, c.var.links));
  });
