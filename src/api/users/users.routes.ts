import { createRoute, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import type { UserChanges, UserRow } from "../../chat/queries/users";
import { hal, halContent, halCreated } from "../../http/hal";
import { ApplicationParams, requireOwnApplication } from "../../http/params";
import { PageQuery } from "../../http/pagination";
import { createdContent, errorResponses, jsonBody } from "../../http/responses";
import { createRouter } from "../../http/router";
import { toApplicationResource } from "../applications/applications.present";
import { ApplicationResource } from "../applications/applications.schemas";
import { toChannelPage } from "../channels/channels.present";
import { ChannelPage } from "../channels/channels.schemas";
import { toUserPage, toUserResource } from "./users.present";
import { changeUser, createUser, listChannelsOfUser, listUsers, loadUser, refuseReadOnlyChanges, removeUser } from "./users.operations";
import { CreateUserBody, UpdateUserBody, UserListQuery, UserPage, UserParams, UserResource } from "./users.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound, 409: conflict, 415: unsupported } = errorResponses;

const createUserRoute = createRoute({
  method: "post",
  path: "/applications/{applicationId}/users",
  summary: "Create a user",
  request: { params: ApplicationParams, body: jsonBody(CreateUserBody) },
  responses: {
    201: createdContent(UserResource, "The new user"),
    400: badRequest,
    401: unauthorized,
    404: notFound,
    409: { ...conflict, description: "The name is taken in this application" },
    415: unsupported,
  },
});

const listUsersRoute = createRoute({
  method: "get",
  path: "/applications/{applicationId}/users",
  summary: "A page of users, ascending id (find:users filters by exact name)",
  request: { params: ApplicationParams, query: UserListQuery },
  responses: { 200: halContent(UserPage, "A page of users"), 400: badRequest, 401: unauthorized, 404: notFound },
});

const getUserRoute = createRoute({
  method: "get",
  path: "/applications/{applicationId}/users/{userId}",
  summary: "A user",
  request: { params: UserParams },
  responses: { 200: halContent(UserResource, "The user"), 401: unauthorized, 404: notFound },
});

const updateUserRoute = (method: "put" | "patch") =>
  createRoute({
    method,
    path: "/applications/{applicationId}/users/{userId}",
    summary: method === "put" ? "Replace a user's displayName and isGuest" : "Change some of a user's displayName and isGuest",
    request: { params: UserParams, body: jsonBody(UpdateUserBody) },
    responses: {
      200: halContent(UserResource, "The user"),
      400: badRequest,
      401: unauthorized,
      404: notFound,
      415: unsupported,
    },
  });
const putUserRoute = updateUserRoute("put");
const patchUserRoute = updateUserRoute("patch");

const deleteUserRoute = createRoute({
  method: "delete",
  path: "/applications/{applicationId}/users/{userId}",
  summary: "Delete a user, their memberships and the messages they sent",
  request: { params: UserParams },
  responses: { 200: halContent(ApplicationResource, "The application"), 401: unauthorized, 404: notFound },
});

const listUserChannelsRoute = createRoute({
  method: "get",
  path: "/applications/{applicationId}/users/{userId}/channels",
  summary: "A page of the channels a user has joined or can join",
  request: { params: UserParams, query: PageQuery },
  responses: { 200: halContent(ChannelPage, "A page of channels"), 400: badRequest, 401: unauthorized, 404: notFound },
});

/** PUT replaces what can change (omitted fields reset); PATCH changes only what it names. */
const changesOf =
  (body: z.infer<typeof UpdateUserBody>, mode: "replace" | "merge") =>
  (current: UserRow): UserChanges => {
    refuseReadOnlyChanges(current, body);
    return mode === "replace"
      ? { displayName: body.displayName ?? null, isGuest: body.isGuest ?? false }
      : {
          ...(body.displayName !== undefined ? { displayName: body.displayName } : {}),
          ...(body.isGuest !== undefined ? { isGuest: body.isGuest } : {}),
        };
  };

const updateUserHandler = async (
  c: Context<AppEnv>,
  { applicationId, userId }: { applicationId: number; userId: number },
  body: z.infer<typeof UpdateUserBody>,
  mode: "replace" | "merge",
) => {
  const appId = requireOwnApplication(applicationId, c.var.auth);
  return hal(c, toUserResource(appId, await changeUser(c, appId, userId, changesOf(body, mode)), c.var.links));
};

export const userRoutes = createRouter()
  .openapi(createUserRoute, async (c) => {
    const appId = requireOwnApplication(c.req.valid("param").applicationId, c.var.auth);
    const body = toUserResource(appId, await createUser(c, appId, c.req.valid("json")), c.var.links);
    return halCreated(c, body, body._links.self.href);
  })
  .openapi(listUsersRoute, async (c) => {
    const appId = requireOwnApplication(c.req.valid("param").applicationId, c.var.auth);
    const query = c.req.valid("query");
    const { rows, meta } = await listUsers(c, appId, query);
    return hal(c, toUserPage(appId, rows, meta, c.req.url, c.var.links));
  })
  .openapi(getUserRoute, async (c) => {
    const { applicationId, userId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    return hal(c, toUserResource(appId, await loadUser(c, appId, userId), c.var.links));
  })
  .openapi(putUserRoute, (c) => updateUserHandler(c, c.req.valid("param"), c.req.valid("json"), "replace"))
  .openapi(patchUserRoute, (c) => updateUserHandler(c, c.req.valid("param"), c.req.valid("json"), "merge"))
  .openapi(deleteUserRoute, async (c) => {
    const { applicationId, userId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    const app = await removeUser(c, appId, userId);
    return hal(c, toApplicationResource(app, c.var.links));
  })
  .openapi(listUserChannelsRoute, async (c) => {
    const { applicationId, userId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    const query = c.req.valid("query");
    const { views, meta } = await listChannelsOfUser(c, appId, userId, query, { scope: "joined-or-joinable" });
    return hal(c, toChannelPage(appId, views, meta, c.var.links.userChannels(appId, userId), c.req.url, c.var.links));
  });
