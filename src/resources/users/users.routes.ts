import { createRoute } from "@hono/zod-openapi";
import { isUniqueViolation } from "../../db/errors";
import { deleteFiles } from "../../files/storage";
import { ApiError } from "../../http/errors";
import { hal, halContent, halCreated } from "../../http/hal";
import { ApplicationParams, requireOwnApplication } from "../../http/params";
import { PageQuery, pageMetadata, pageOffset } from "../../http/pagination";
import { errorResponses, jsonBody } from "../../http/responses";
import { createRouter } from "../../http/router";
import { toApplicationResource } from "../applications/applications.present";
import { ApplicationResource } from "../applications/applications.schemas";
import { toChannelPage } from "../channels/channels.present";
import { listUserChannelsPage } from "../channels/channels.queries";
import { ChannelPage } from "../channels/channels.schemas";
import { toUserPage, toUserResource } from "./users.present";
import { deleteUser, findUser, insertUser, listUsersPage } from "./users.queries";
import { CreateUserBody, UserPage, UserParams, UserResource } from "./users.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound } = errorResponses;

export const createUserRoute = createRoute({
  method: "post",
  path: "/applications/{applicationId}/users",
  summary: "Create a user",
  request: { params: ApplicationParams, body: jsonBody(CreateUserBody) },
  responses: {
    201: halContent(UserResource, "The new user"),
    400: badRequest,
    401: unauthorized,
    404: notFound,
    409: { ...badRequest, description: "The name is taken in this application" },
  },
});

export const listUsersRoute = createRoute({
  method: "get",
  path: "/applications/{applicationId}/users",
  summary: "A page of users, ascending id",
  request: { params: ApplicationParams, query: PageQuery },
  responses: { 200: halContent(UserPage, "A page of users"), 400: badRequest, 401: unauthorized, 404: notFound },
});

export const getUserRoute = createRoute({
  method: "get",
  path: "/applications/{applicationId}/users/{userId}",
  summary: "A user",
  request: { params: UserParams },
  responses: { 200: halContent(UserResource, "The user"), 401: unauthorized, 404: notFound },
});

export const deleteUserRoute = createRoute({
  method: "delete",
  path: "/applications/{applicationId}/users/{userId}",
  summary: "Delete a user, their memberships and the messages they sent",
  request: { params: UserParams },
  responses: { 200: halContent(ApplicationResource, "The application"), 401: unauthorized, 404: notFound },
});

export const listUserChannelsRoute = createRoute({
  method: "get",
  path: "/applications/{applicationId}/users/{userId}/channels",
  summary: "A page of the channels a user has joined or can join",
  request: { params: UserParams, query: PageQuery },
  responses: { 200: halContent(ChannelPage, "A page of channels"), 400: badRequest, 401: unauthorized, 404: notFound },
});

const userNotFound = (userId: number) => new ApiError("ResourceNotFoundError", `User ${userId} not found`);

export const userRoutes = createRouter()
  .openapi(createUserRoute, async (c) => {
    const appId = requireOwnApplication(c.req.valid("param").applicationId, c.var.auth);
    const { name } = c.req.valid("json");
    let user;
    try {
      user = await insertUser(c.var.db, appId, name);
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
    const { rows, total } = await listUsersPage(c.var.db, appId, pageOffset(query), query.size);
    return hal(c, toUserPage(appId, rows, pageMetadata(query, total), c.req.url, c.var.links));
  })
  .openapi(getUserRoute, async (c) => {
    const { applicationId, userId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    const user = await findUser(c.var.db, appId, userId);
    if (!user) throw userNotFound(userId);
    return hal(c, toUserResource(appId, user, c.var.links));
  })
  .openapi(deleteUserRoute, async (c) => {
    const { applicationId, userId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    const { deleted, app, files } = await deleteUser(c.var.db, appId, userId);
    if (!deleted || !app) throw userNotFound(userId);
    await deleteFiles(c.env.FILES, files);
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
