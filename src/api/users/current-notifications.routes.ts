/**
 * A user's notifications in the current form (no 2020 twin), `/v1/users/{id}/notifications`:
 * derived from the messages of their channels (notifications.operations.ts).
 */
import { createRoute } from "@hono/zod-openapi";
import { CurrentCursorQuery } from "../../http/cursor";
import { hal, halContent } from "../../http/hal";
import { errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";
import { notificationsOf } from "./notifications.operations";
import { toNotificationPage } from "./notifications.present";
import { NotificationPage } from "./notifications.schemas";
import { CurrentUserParams } from "./users.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound } = errorResponses;

const listNotificationsRoute = createRoute({
  method: "get",
  path: "/users/{userId}/notifications",
  summary: "A cursor page of a user's notifications, newest first: messages of their channels sent by others since they joined",
  description:
    'Each notification is a message: id and createdTime are the message\'s, title "New message from <displayName>" or ' +
    '"System message sent", body the message\'s text or "File attachment", readTime once the user\'s read marker reached it. ' +
    "Cursors as a channel's messages.",
  request: { params: CurrentUserParams, query: CurrentCursorQuery },
  responses: { 200: halContent(NotificationPage, "A page of notifications"), 400: badRequest, 401: unauthorized, 404: notFound },
});

export const currentNotificationRoutes = createRouter().openapi(listNotificationsRoute, async (c) => {
  const appId = c.var.auth.applicationId;
  const { userId } = c.req.valid("param");
  const query = c.req.valid("query");
  const fetched = await notificationsOf(c, appId, userId, query);
  const href = c.var.links.currentUserNotifications(userId);
  return hal(c, toNotificationPage(appId, userId, fetched, query, href, c.var.links));
});
