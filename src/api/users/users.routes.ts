import { createRoute, type z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { isUniqueViolation } from "../../db/errors";
import { drainFileDeletions } from "../../files/deletions";
import { userDeleted } from "../../chat/live-access";
import { ApiError } from "../../http/errors";
import { namesVersion, preconditionFailed, requireMatch } from "../../http/conditional";
import { hal, halContent, halCreated } from "../../http/hal";
import { ApplicationParams, requireOwnApplication } from "../../http/params";
import { PageQuery, pageMetadata, pageOffset } from "../../http/pagination";
import { createdContent, errorResponses, jsonBody } from "../../http/responses";
import { createRouter } from "../../http/router";
import { toApplicationResource } from "../applications/applications.present";
import { ApplicationResource } from "../applications/applications.schemas";
import { toChannelPage } from "../channels/channels.present";
import { listUserChannelsPage } from "../../chat/queries/channels";
import { ChannelPage } from "../channels/channels.schemas";
import { toUserPage, toUserResource } from "./users.present";
import { deleteUser, findUser, insertUser, listUsersPage, type UserRow, updateUser } from "../../chat/queries/users";
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

const userNotFound = (userId: number) => new ApiError("ResourceNotFoundError", `User ${userId} not found`);

/** The user as GET answers it (404 when there is none). */
const userResource = async (c: Context<AppEnv>, appId: number, userId: number) => {
  const user = await findUser(c.var.db, appId, userId);
  if (!user) throw userNotFound(userId);
  return toUserResource(appId, user, c.var.links);
};

/** PUT and PATCH: `id` and `name` are read-only (400 when a different value is sent). */
const updateUserHandler = async (
  c: Context<AppEnv>,
  { applicationId, userId }: { applicationId: number; userId: number },
  body: z.infer<typeof UpdateUserBody>,
  mode: "replace" | "merge",
) => {
  const appId = requireOwnApplication(applicationId, c.var.auth);
  const current = await findUser(c.var.db, appId, userId);
  if (!current) throw userNotFound(userId);
  await requireMatch(c, () => toUserResource(appId, current, c.var.links));
  if (body.id !== undefined && body.id !== current.id) {
    throw new ApiError("InvalidRequestError", "id cannot be changed", { id: "id cannot be changed" });
  }
  if (body.name !== undefined && body.name !== current.name) {
    throw new ApiError("InvalidRequestError", "name cannot be changed", { name: "name cannot be changed" });
  }
  const changes =
    mode === "replace"
      ? { displayName: body.displayName ?? null, isGuest: body.isGuest ?? false }
      : {
          ...(body.displayName !== undefined ? { displayName: body.displayName } : {}),
          ...(body.isGuest !== undefined ? { isGuest: body.isGuest } : {}),
        };
  // With If-Match, the write only lands on the representation the client saw: a concurrent change
  // in between makes it miss, and the client hears 412 rather than losing that change.
  const expected = namesVersion(c.req.header("If-Match")) ? current : undefined;
  const user = Object.keys(changes).length > 0 ? await updateUser(c.var.db, appId, userId, changes, expected) : current;
  if (!user) {
    if (expected && (await findUser(c.var.db, appId, userId))) throw preconditionFailed();
    throw userNotFound(userId);
  }
  return hal(c, toUserResource(appId, user, c.var.links));
};

export const userRoutes = createRouter()
  .openapi(createUserRoute, async (c) => {
    const appId = requireOwnApplication(c.req.valid("param").applicationId, c.var.auth);
    const input = c.req.valid("json");
    const { name } = input;
    let user: UserRow;
    try {
      user = await insertUser(c.var.db, appId, input);
    } catch (e) {
      if (isUniqueViolation(e)) {
        throw new ApiError("DuplicateResourceError", `A user named ${JSON.stringify(name)} already exists`, { name });
      }
      throw e;
    }
    const body = toUserResource(appId, user, c.var.links);
    return halCreated(c, body, body._links.self.href);
  })
  .openapi(listUsersRoute, async (c) => {
    const appId = requireOwnApplication(c.req.valid("param").applicationId, c.var.auth);
    const query = c.req.valid("query");
    const { rows, total } = await listUsersPage(c.var.db, appId, pageOffset(query), query.size, query.name);
    return hal(c, toUserPage(appId, rows, pageMetadata(query, total), c.req.url, c.var.links));
  })
  .openapi(getUserRoute, async (c) => {
    const { applicationId, userId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    return hal(c, await userResource(c, appId, userId));
  })
  .openapi(putUserRoute, (c) => updateUserHandler(c, c.req.valid("param"), c.req.valid("json"), "replace"))
  .openapi(patchUserRoute, (c) => updateUserHandler(c, c.req.valid("param"), c.req.valid("json"), "merge"))
  .openapi(deleteUserRoute, async (c) => {
    const { applicationId, userId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    // With If-Match naming a version, the delete only lands on the user the client saw (as PUT does).
    let expected: UserRow | undefined;
    if (namesVersion(c.req.header("If-Match"))) {
      expected = await findUser(c.var.db, appId, userId);
      if (!expected) throw userNotFound(userId);
    }
    await requireMatch(c, () => (expected ? toUserResource(appId, expected, c.var.links) : userResource(c, appId, userId)));
    const { deleted, app, fileDeletions } = await deleteUser(c.var.db, appId, userId, expected);
    if (!deleted || !app) {
      if (expected && (await findUser(c.var.db, appId, userId))) throw preconditionFailed();
      throw userNotFound(userId);
    }
    await Promise.all([userDeleted(c.env, appId, deleted), drainFileDeletions(c.env, fileDeletions)]);
    return hal(c, toApplicationResource(app, c.var.links));
  })
  .openapi(listUserChannelsRoute, async (c) => {
    const { applicationId, userId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    const query = c.req.valid("query");
    const [user, page] = await Promise.all([
      findUser(c.var.db, appId, userId),
      listUserChannelsPage(c.var.db, appId, userId, pageOffset(query), query.size),
    ]);
    if (!user) throw userNotFound(userId);
    const meta = pageMetadata(query, page.total);
    return hal(c, toChannelPage(appId, page.rows, meta, c.var.links.userChannels(appId, userId), c.req.url, c.var.links));
  });
