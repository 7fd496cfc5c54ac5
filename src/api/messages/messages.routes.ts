import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { channelNotFound, messageNotFound } from "../../chat/errors";
import { listMessages } from "../../chat/messages";
import { deleteMessage, findChannelWithMessages, findMessage, listApplicationMessages } from "../../chat/queries/messages";
import { drainFileDeletions } from "../../files/deletions";
import { CursorQuery, cursorBound } from "../../http/cursor";
import type { AppEnv } from "../../env";
import { requireMatch } from "../../http/conditional";
import { hal, halContent } from "../../http/hal";
import { ApplicationParams, chatScope, requireOwnApplication } from "../../http/params";
import { errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";
import { toChannelResource } from "../channels/channels.present";
import { ChannelParams, ChannelResource } from "../channels/channels.schemas";
import { createMessageRoutes } from "./messages.create";
import { toEphemeralMessageResource, toMessagePage, toMessageResource } from "./messages.present";
import { MessagePage, MessageParams, MessageResource } from "./messages.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound } = errorResponses;

const listMessagesRoute = createRoute({
  method: "get",
  path: "/applications/{applicationId}/channels/{channelId}/messages",
  summary: "A cursor page of a channel's messages, newest first",
  request: { params: ChannelParams, query: CursorQuery },
  responses: { 200: halContent(MessagePage, "A page of messages"), 400: badRequest, 401: unauthorized, 404: notFound },
});

const listApplicationMessagesRoute = createRoute({
  method: "get",
  path: "/applications/{applicationId}/messages",
  summary: "A cursor page of every persisted message of the application, newest first",
  request: { params: ApplicationParams, query: CursorQuery },
  responses: { 200: halContent(MessagePage, "A page of messages"), 400: badRequest, 401: unauthorized, 404: notFound },
});

const getMessageRoute = createRoute({
  method: "get",
  path: "/applications/{applicationId}/messages/{messageId}",
  summary: "A persisted message",
  request: { params: MessageParams },
  responses: { 200: halContent(MessageResource, "The message"), 401: unauthorized, 404: notFound },
});

const deleteMessageRoute = createRoute({
  method: "delete",
  path: "/applications/{applicationId}/messages/{messageId}",
  summary: "Delete a persisted message",
  request: { params: MessageParams },
  responses: { 200: halContent(ChannelResource, "The message's channel"), 401: unauthorized, 404: notFound },
});

/** The message as GET answers it (404 when it does not exist). */
const messageResource = async (c: Context<AppEnv>, appId: number, messageId: number) => {
  const message = await findMessage(c.var.db, appId, messageId);
  if (!message) throw messageNotFound(messageId);
  return toMessageResource(appId, message, c.var.links);
};

export const messageRoutes = createRouter()
  .route("/", createMessageRoutes)
  .openapi(listMessagesRoute, async (c) => {
    const { applicationId, channelId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    const query = c.req.valid("query");
    const atMost = cursorBound(query);
    const href = c.var.links.channelMessages(appId, channelId);
    // One extra row tells whether an older page exists.
    const { channel, rows } = await findChannelWithMessages(c.var.db, appId, channelId, atMost, query.size + 1);
    if (!channel) throw channelNotFound(channelId);
    const list = await listMessages(chatScope(c, appId), channel, atMost, query.size + 1, rows);
    const page =
      "held" in list
        ? toMessagePage(
            list.held,
            query,
            href,
            (m) => m.seq,
            (m) => toEphemeralMessageResource(appId, channelId, m, c.var.links),
          )
        : toMessagePage(
            list.saved,
            query,
            href,
            (m) => m.id,
            (m) => toMessageResource(appId, m, c.var.links),
          );
    return hal(c, page);
  })
  .openapi(listApplicationMessagesRoute, async (c) => {
    const appId = requireOwnApplication(c.req.valid("param").applicationId, c.var.auth);
    const query = c.req.valid("query");
    // One extra row tells whether an older page exists.
    const rows = await listApplicationMessages(c.var.db, appId, cursorBound(query), query.size + 1);
    const href = c.var.links.messages(appId);
    return hal(
      c,
      toMessagePage(
        rows,
        query,
        href,
        (m) => m.id,
        (m) => toMessageResource(appId, m, c.var.links),
      ),
    );
  })
  .openapi(getMessageRoute, async (c) => {
    const { applicationId, messageId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    return hal(c, await messageResource(c, appId, messageId));
  })
  .openapi(deleteMessageRoute, async (c) => {
    const { applicationId, messageId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    await requireMatch(c, () => messageResource(c, appId, messageId));
    const deleted = await deleteMessage(c.var.db, appId, messageId);
    if (!deleted) throw messageNotFound(messageId);
    await drainFileDeletions(c.env, deleted.fileDeletions);
    return hal(c, toChannelResource(appId, deleted.channel, c.var.links));
  });
