/**
 * Messages in the 2020 form, `/v1/applications/{id}/…`: each handler reads its request, calls the
 * operation the current form calls too (messages.operations.ts) and presents the result.
 */
import { createRoute } from "@hono/zod-openapi";
import { hal, halContent } from "../../http/hal";
import { ApplicationParams, requireOwnApplication } from "../../http/params";
import { errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";
import { viewChannel } from "../channels/channels.operations";
import { toChannelResource } from "../channels/channels.present";
import { ChannelParams, ChannelResource } from "../channels/channels.schemas";
import { createMessageRoutes } from "./messages.create";
import { applicationMessagesPage, channelMessagesPage, loadMessage, presentMessage, removeMessage } from "./messages.operations";
import { MessageListQuery, MessagePage, MessageParams, MessageResource } from "./messages.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound } = errorResponses;

const listMessagesRoute = createRoute({
  method: "get",
  path: "/applications/{applicationId}/channels/{channelId}/messages",
  summary: "A cursor page of a channel's messages, newest first (optionally one sender's, or those containing a text)",
  request: { params: ChannelParams, query: MessageListQuery },
  responses: { 200: halContent(MessagePage, "A page of messages"), 400: badRequest, 401: unauthorized, 404: notFound },
});

const listApplicationMessagesRoute = createRoute({
  method: "get",
  path: "/applications/{applicationId}/messages",
  summary: "A cursor page of every persisted message of the application, newest first",
  request: { params: ApplicationParams, query: MessageListQuery },
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

export const messageRoutes = createRouter()
  .route("/", createMessageRoutes)
  .openapi(listMessagesRoute, async (c) => {
    const { applicationId, channelId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    return hal(c, await channelMessagesPage(c, appId, channelId, c.req.valid("query"), c.var.links.channelMessages(appId, channelId)));
  })
  .openapi(listApplicationMessagesRoute, async (c) => {
    const appId = requireOwnApplication(c.req.valid("param").applicationId, c.var.auth);
    return hal(c, await applicationMessagesPage(c, appId, c.req.valid("query"), c.var.links.messages(appId)));
  })
  .openapi(getMessageRoute, async (c) => {
    const { applicationId, messageId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    return hal(c, await presentMessage(c, appId, await loadMessage(c, appId, messageId)));
  })
  .openapi(deleteMessageRoute, async (c) => {
    const { applicationId, messageId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    const channel = await removeMessage(c, appId, messageId);
    return hal(c, toChannelResource(appId, await viewChannel(c, appId, channel), c.var.links));
  });
