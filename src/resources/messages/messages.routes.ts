import { createRoute } from "@hono/zod-openapi";
import { deleteFiles } from "../../files/storage";
import { messageCreatedEvent, messageNotification, toChatMessage } from "../../realtime/resources";
import { isForeignKeyViolation } from "../../db/errors";
import { channelRoomStub } from "../../durable/channel-room";
import { CursorQuery, cursorBound } from "../../http/cursor";
import { ApiError } from "../../http/errors";
import { hal, halContent, halCreated } from "../../http/hal";
import { requireOwnApplication } from "../../http/params";
import { errorResponses, jsonBody } from "../../http/responses";
import { createRouter } from "../../http/router";
import { toChannelResource } from "../channels/channels.present";
import { findChannel } from "../channels/channels.queries";
import { channelNotFound } from "../channels/channels.routes";
import { ChannelParams, ChannelResource } from "../channels/channels.schemas";
import { toEphemeralMessageResource, toMessagePage, toMessageResource } from "./messages.present";
import { deleteMessage, findChannelWithMessages, findMessage, insertSystemTextMessage } from "./messages.queries";
import { CreateMessageBody, MessagePage, MessageParams, MessageResource } from "./messages.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound } = errorResponses;

export const createMessageRoute = createRoute({
  method: "post",
  path: "/applications/{applicationId}/channels/{channelId}/messages",
  summary: "Send a system text message (persisted, or ephemeral in an OPEN channel)",
  request: { params: ChannelParams, body: jsonBody(CreateMessageBody) },
  responses: { 201: halContent(MessageResource, "The new message"), 400: badRequest, 401: unauthorized, 404: notFound },
});

export const listMessagesRoute = createRoute({
  method: "get",
  path: "/applications/{applicationId}/channels/{channelId}/messages",
  summary: "A cursor page of a channel's messages, newest first",
  request: { params: ChannelParams, query: CursorQuery },
  responses: { 200: halContent(MessagePage, "A page of messages"), 400: badRequest, 401: unauthorized, 404: notFound },
});

export const getMessageRoute = createRoute({
  method: "get",
  path: "/applications/{applicationId}/messages/{messageId}",
  summary: "A persisted message",
  request: { params: MessageParams },
  responses: { 200: halContent(MessageResource, "The message"), 401: unauthorized, 404: notFound },
});

export const deleteMessageRoute = createRoute({
  method: "delete",
  path: "/applications/{applicationId}/messages/{messageId}",
  summary: "Delete a persisted message",
  request: { params: MessageParams },
  responses: { 200: halContent(ChannelResource, "The message's channel"), 401: unauthorized, 404: notFound },
});

const messageNotFound = (messageId: number) => new ApiError("ResourceNotFoundError", `Message ${messageId} not found`);

export const messageRoutes = createRouter()
  .openapi(createMessageRoute, async (c) => {
    const { applicationId, channelId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    const { body } = c.req.valid("json");
    const channel = await findChannel(c.var.db, appId, channelId);
    if (!channel) throw channelNotFound(channelId);
    if (channel.type === "OPEN") {
      const message = await channelRoomStub(c.env, appId, channelId).post(channelId, { type: "SYSTEM_TEXT", body });
      return halCreated(c, toEphemeralMessageResource(appId, channelId, message, c.var.links));
    }
    let message;
    try {
      message = await insertSystemTextMessage(c.var.db, appId, channelId, body);
    } catch (e) {
      // The channel was deleted between the lookup and the insert.
      if (isForeignKeyViolation(e)) throw channelNotFound(channelId);
      throw e;
    }
    // Live delivery to chat sessions happens after the response; the message is already safe.
    const live = toChatMessage({ ...message, body, file: null, properties: {}, user: null, type: "SYSTEM_TEXT" });
    c.executionCtx.waitUntil(
      channelRoomStub(c.env, appId, channelId).publish(channelId, messageCreatedEvent(live), undefined, {
        applicationId: appId,
        senderId: null,
        notification: messageNotification(channel, live),
      }),
    );
    const resource = toMessageResource(appId, message, c.var.links);
    return halCreated(c, resource, resource._links.self?.href);
  })
  .openapi(listMessagesRoute, async (c) => {
    const { applicationId, channelId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    const query = c.req.valid("query");
    const atMost = cursorBound(query);
    const href = c.var.links.channelMessages(appId, channelId);
    // One extra row tells whether an older page exists.
    const { channel, rows } = await findChannelWithMessages(c.var.db, appId, channelId, atMost, query.size + 1);
    if (!channel) throw channelNotFound(channelId);
    if (channel.type === "OPEN") {
      const held = await channelRoomStub(c.env, appId, channelId).list(atMost, query.size + 1);
      return hal(
        c,
        toMessagePage(held, query, href, (m) => m.seq, (m) => toEphemeralMessageResource(appId, channelId, m, c.var.links)),
      );
    }
    return hal(c, toMessagePage(rows, query, href, (m) => m.id, (m) => toMessageResource(appId, m, c.var.links)));
  })
  .openapi(getMessageRoute, async (c) => {
    const { applicationId, messageId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    const message = await findMessage(c.var.db, appId, messageId);
    if (!message) throw messageNotFound(messageId);
    return hal(c, toMessageResource(appId, message, c.var.links));
  })
  .openapi(deleteMessageRoute, async (c) => {
    const { applicationId, messageId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    const deleted = await deleteMessage(c.var.db, appId, messageId);
    if (!deleted) throw messageNotFound(messageId);
    await deleteFiles(c.env.FILES, [deleted.file]);
    return hal(c, toChannelResource(appId, deleted.channel, c.var.links));
  });
