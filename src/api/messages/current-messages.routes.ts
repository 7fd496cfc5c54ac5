/**
 * Messages in the current (token-scoped) form, `/v1/channels/{id}/messages` and `/v1/messages/…`:
 * the application is the token's. Each handler reads its request, calls the operation the 2020
 * routes call (messages.operations.ts) and presents the result with the one presenter. What differs
 * from the 2020 form: pages default to 25, a delete answers the thread the message was in, and
 * read receipts exist only here.
 */
import { createRoute } from "@hono/zod-openapi";
import { hal, halContent } from "../../http/hal";
import { errorResponses, mergePatchBody } from "../../http/responses";
import { createRouter } from "../../http/router";
import { toApplicationResource } from "../applications/applications.present";
import { ApplicationResource } from "../applications/applications.schemas";
import { CurrentChannelParams } from "../channels/channels.schemas";
import {
  CREATE_DESCRIPTION,
  createMessageResponses,
  formContent,
  jsonContent,
  multipartOnly,
  requestDraft,
  respondCreated,
} from "./messages.create";
import {
  applicationMessagesPage,
  channelMessagesPage,
  loadMessage,
  presentMessage,
  patchMessage,
  readReceiptsPage,
  removeAllMessages,
  removeMessage,
  sendMessage,
} from "./messages.operations";
import { toMainThreadResource, toReadReceiptPage } from "./messages.present";
import {
  type CreateMessageBody,
  CurrentMessageListQuery,
  CurrentMessageParams,
  IdempotencyHeaders,
  MessageMergePatch,
  MessagePage,
  MessageResource,
  ReadReceiptPage,
  ReadReceiptQuery,
  ReplyThreadResource,
  type UploadMessageForm,
} from "./messages.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound, 415: unsupported } = errorResponses;

const listChannelMessagesRoute = createRoute({
  method: "get",
  path: "/channels/{channelId}/messages",
  summary: "A cursor page of a channel's messages, newest first (optionally one sender's, or those containing a text)",
  description:
    "Cursors are message ids: a page's links carry start (its newest), next (its oldest), size and relation " +
    "(SELF: this page again; NEXT: the older page; PREVIOUS: the newer page). An OPEN channel's messages have no id.",
  request: { params: CurrentChannelParams, query: CurrentMessageListQuery },
  responses: { 200: halContent(MessagePage, "A page of messages"), 400: badRequest, 401: unauthorized, 404: notFound },
});

const createChannelMessageRoute = createRoute({
  method: "post",
  path: "/channels/{channelId}/messages",
  summary: "Send a message as the application or on a user's behalf: text, an external file, or an uploaded file",
  description: `${CREATE_DESCRIPTION} A multipart body without a boundary parameter (as chatkitty-platform-sdk 2.4.0 sends it) is read by its first line.`,
  middleware: [multipartOnly] as const,
  request: {
    params: CurrentChannelParams,
    headers: IdempotencyHeaders,
    body: {
      required: false,
      content: { "application/json": jsonContent, "application/vnd.chatkitty+json": jsonContent, "multipart/form-data": formContent },
    },
  },
  responses: createMessageResponses,
});

const listMessagesRoute = createRoute({
  method: "get",
  path: "/messages",
  summary: "A cursor page of every persisted message of the application, newest first",
  request: { query: CurrentMessageListQuery },
  responses: { 200: halContent(MessagePage, "A page of messages"), 400: badRequest, 401: unauthorized },
});

const deleteAllMessagesRoute = createRoute({
  method: "delete",
  path: "/messages",
  summary: "Delete every persisted message of the application, with their stored files; answers the application",
  description:
    "Deletes in bounded chunks, oldest first, up to the newest message there was when the request began. " +
    "OPEN channels' messages are not persisted (their channel keeps its newest few in memory) and are not affected.",
  responses: { 200: halContent(ApplicationResource, "The application"), 401: unauthorized },
});

const getMessageRoute = createRoute({
  method: "get",
  path: "/messages/{messageId}",
  summary: "A persisted message",
  request: { params: CurrentMessageParams },
  responses: { 200: halContent(MessageResource, "The message"), 401: unauthorized, 404: notFound },
});

const patchMessageRoute = createRoute({
  method: "patch",
  path: "/messages/{messageId}",
  summary: "Change a message's body (text messages) and properties with a JSON merge patch (RFC 7396); sets lastEditedTime",
  request: { params: CurrentMessageParams, body: mergePatchBody(MessageMergePatch) },
  responses: {
    200: halContent(MessageResource, "The message"),
    400: { ...badRequest, description: "An invalid field, or a body for a file message" },
    401: unauthorized,
    404: notFound,
    415: unsupported,
  },
});

const deleteMessageRoute = createRoute({
  method: "delete",
  path: "/messages/{messageId}",
  summary: "Delete a persisted message (and its stored file); answers the thread it was in, its channel's MAIN thread",
  request: { params: CurrentMessageParams },
  responses: { 200: halContent(ReplyThreadResource, "The message's thread"), 401: unauthorized, 404: notFound },
});

const readReceiptsRoute = createRoute({
  method: "get",
  path: "/messages/{messageId}/read-receipts",
  summary: "A page of the members who have read a message (ascending user id), from their read markers",
  request: { params: CurrentMessageParams, query: ReadReceiptQuery },
  responses: { 200: halContent(ReadReceiptPage, "A page of read receipts"), 400: badRequest, 401: unauthorized, 404: notFound },
});

export const currentMessageRoutes = createRouter()
  .openapi(listChannelMessagesRoute, async (c) => {
    const { channelId } = c.req.valid("param");
    const href = c.var.links.currentChannelList(channelId, "messages");
    return hal(c, await channelMessagesPage(c, c.var.auth.applicationId, channelId, c.req.valid("query"), href));
  })
  .openapi(createChannelMessageRoute, async (c) => {
    const draft = requestDraft(
      c,
      () => c.req.valid("form") as UploadMessageForm,
      () => c.req.valid("json") as CreateMessageBody,
    );
    const key = c.req.valid("header")["idempotency-key"];
    return respondCreated(c, await sendMessage(c, c.var.auth.applicationId, c.req.valid("param").channelId, draft, key));
  })
  .openapi(listMessagesRoute, async (c) =>
    hal(c, await applicationMessagesPage(c, c.var.auth.applicationId, c.req.valid("query"), c.var.links.currentMessages())),
  )
  .openapi(deleteAllMessagesRoute, async (c) =>
    hal(c, toApplicationResource(await removeAllMessages(c, c.var.auth.applicationId), c.var.links)),
  )
  .openapi(getMessageRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    return hal(c, await presentMessage(c, appId, await loadMessage(c, appId, c.req.valid("param").messageId)));
  })
  .openapi(patchMessageRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const message = await patchMessage(c, appId, c.req.valid("param").messageId, c.req.valid("json"));
    return hal(c, await presentMessage(c, appId, message));
  })
  .openapi(deleteMessageRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    return hal(c, toMainThreadResource(appId, await removeMessage(c, appId, c.req.valid("param").messageId), c.var.links));
  })
  .openapi(readReceiptsRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { messageId } = c.req.valid("param");
    const { receipts, meta } = await readReceiptsPage(c, appId, messageId, c.req.valid("query"));
    const href = c.var.links.messageReadReceipts(messageId);
    return hal(c, toReadReceiptPage(appId, messageId, receipts, meta, href, c.req.url, c.var.links));
  });
