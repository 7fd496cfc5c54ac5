/**
 * Threads in the current (token-scoped) form, `/v1/threads/…` (they have no 2020 form). A MAIN
 * thread is its channel's (threads.operations.ts): its messages are listed and sent, and its
 * keystrokes sent, by the channel's operations, with the thread's collection in the page links.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { hal, halContent } from "../../http/hal";
import { idParam } from "../../http/params";
import { currentJsonBody, errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";
import {
  CREATE_DESCRIPTION,
  createMessageResponses,
  formContent,
  jsonContent,
  multipartOnly,
  requestDraft,
  respondCreated,
} from "../messages/messages.create";
import { channelMessagesPage, sendMessage } from "../messages/messages.operations";
import { toMainThreadResource } from "../messages/messages.present";
import {
  type CreateMessageBody,
  CurrentMessageListQuery,
  IdempotencyHeaders,
  MessagePage,
  ReplyThreadResource,
  type UploadMessageForm,
} from "../messages/messages.schemas";
import { sendKeystrokes } from "../channels/channel-events.operations";
import { toKeystrokesResource } from "../channels/channel-events.present";
import { CreateKeystrokesBody } from "../channels/channel-events.schemas";
import { keystrokesResponses } from "../channels/current-channel-events.routes";
import { loadThreadChannel, onThread } from "./threads.operations";

const { 400: badRequest, 401: unauthorized, 404: notFound } = errorResponses;

const ThreadParams = z.object({ threadId: idParam("threadId") });

const getThreadRoute = createRoute({
  method: "get",
  path: "/threads/{threadId}",
  summary: "A thread: a channel's MAIN thread has the channel's id",
  request: { params: ThreadParams },
  responses: { 200: halContent(ReplyThreadResource, "The thread"), 401: unauthorized, 404: notFound },
});

const listThreadMessagesRoute = createRoute({
  method: "get",
  path: "/threads/{threadId}/messages",
  summary: "A cursor page of a thread's messages, newest first (a MAIN thread's are its channel's)",
  description: "Cursors as a channel's messages: start, next, size and relation (SELF, NEXT: older, PREVIOUS: newer).",
  request: { params: ThreadParams, query: CurrentMessageListQuery },
  responses: { 200: halContent(MessagePage, "A page of messages"), 400: badRequest, 401: unauthorized, 404: notFound },
});

const createThreadMessageRoute = createRoute({
  method: "post",
  path: "/threads/{threadId}/messages",
  summary: "Send a message into a thread (into a MAIN thread: its channel), as a channel message is sent",
  description: CREATE_DESCRIPTION,
  middleware: [multipartOnly] as const,
  request: {
    params: ThreadParams,
    headers: IdempotencyHeaders,
    body: {
      required: false,
      content: { "application/json": jsonContent, "application/vnd.chatkitty+json": jsonContent, "multipart/form-data": formContent },
    },
  },
  responses: createMessageResponses,
});

const createThreadKeystrokesRoute = createRoute({
  method: "post",
  path: "/threads/{threadId}/keystrokes",
  summary: "Send what a user is typing in a thread (in a MAIN thread: its channel) to the other live chat sessions (not stored)",
  description: "As a channel's keystrokes: watchers of the channel, except the user's own sessions, get a thread.keystrokes.created event.",
  request: { params: ThreadParams, body: currentJsonBody(CreateKeystrokesBody) },
  responses: keystrokesResponses,
});

export const currentThreadRoutes = createRouter()
  .openapi(getThreadRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    return hal(c, toMainThreadResource(appId, await loadThreadChannel(c, appId, c.req.valid("param").threadId), c.var.links));
  })
  .openapi(listThreadMessagesRoute, async (c) => {
    const { threadId } = c.req.valid("param");
    const href = c.var.links.threadMessages(threadId);
    const page = await onThread(threadId, (channelId) =>
      channelMessagesPage(c, c.var.auth.applicationId, channelId, c.req.valid("query"), href),
    );
    return hal(c, page);
  })
  .openapi(createThreadMessageRoute, async (c) => {
    const draft = requestDraft(
      c,
      () => c.req.valid("form") as UploadMessageForm,
      () => c.req.valid("json") as CreateMessageBody,
    );
    const { threadId } = c.req.valid("param");
    const key = c.req.valid("header")["idempotency-key"];
    return respondCreated(c, await onThread(threadId, (channelId) => sendMessage(c, c.var.auth.applicationId, channelId, draft, key)));
  })
  .openapi(createThreadKeystrokesRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { threadId } = c.req.valid("param");
    const sent = await onThread(threadId, (channelId) => sendKeystrokes(c, appId, channelId, c.req.valid("json")));
    return hal(c, toKeystrokesResource(appId, threadId, sent, c.var.links));
  });
