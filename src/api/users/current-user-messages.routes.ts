/**
 * A user's messages in the current form (no 2020 twin): `/v1/users/{id}/messages` and, as
 * chatkitty@2.106.8 calls it, `/v1/users/{id}/messages/unread/count`.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { CurrentCursorQuery } from "../../http/cursor";
import { hal, halContent, halLinks, link } from "../../http/hal";
import { errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";
import { MessagePage } from "../messages/messages.schemas";
import { countUnreadMessages, userMessagesPage } from "./user-messages.operations";
import { CurrentUserParams } from "./users.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound } = errorResponses;

const UserMessageListQuery = CurrentCursorQuery.extend({
  unread: z
    .enum(["true", "false"], { error: "unread must be true or false" })
    .transform((v) => v === "true")
    .optional()
    .openapi({ description: "true: the messages of the user's channels they have not read, sent by others" }),
});

/** ChatKitty's `CountResource`. */
const CountResource = z.object({ count: z.number().int().nonnegative(), _links: halLinks(["user"]) }).openapi("CountResource");

const listUserMessagesRoute = createRoute({
  method: "get",
  path: "/users/{userId}/messages",
  summary: "A cursor page of the messages a user sent, or (unread=true) has not read, newest first",
  description: "Unread: messages of the user's channels past their read marker, sent by someone else. Cursors as a channel's messages.",
  request: { params: CurrentUserParams, query: UserMessageListQuery },
  responses: { 200: halContent(MessagePage, "A page of messages"), 400: badRequest, 401: unauthorized, 404: notFound },
});

const countUnreadRoute = createRoute({
  method: "get",
  path: "/users/{userId}/messages/unread/count",
  summary: "How many messages of the user's channels they have not read (sent by others)",
  request: { params: CurrentUserParams },
  responses: {
    200: halContent(CountResource, "The count"),
    401: unauthorized,
    404: notFound,
  },
});

export const currentUserMessageRoutes = createRouter()
  .openapi(listUserMessagesRoute, async (c) => {
    const { userId } = c.req.valid("param");
    const href = c.var.links.currentUserMessages(userId);
    return hal(c, await userMessagesPage(c, c.var.auth.applicationId, userId, c.req.valid("query"), href));
  })
  .openapi(countUnreadRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { userId } = c.req.valid("param");
    const count = await countUnreadMessages(c, appId, userId);
    return hal(c, { count, _links: { user: link(c.var.links.user(appId, userId)) } });
  });
