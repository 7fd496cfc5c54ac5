/**
 * Creating system messages (`POST {channel messages}`): text and external files as JSON, files to
 * store as multipart/form-data. Uploads may be far larger than other request bodies, so this
 * module also tells the app's body limit which requests are uploads.
 */
import { createRoute } from "@hono/zod-openapi";
import type { Context, Next } from "hono";
import type { StoredFile } from "../../db/schema";
import { channelRoomStub } from "../../durable/channel-room";
import type { AppEnv } from "../../env";
import { deleteFiles, putFile } from "../../files/storage";
import { ApiError } from "../../http/errors";
import { halCreated } from "../../http/hal";
import { requireOwnApplication } from "../../http/params";
import { createdContent, errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";
import { validationError } from "../../http/validation";
import { messageCreatedEvent, messageNotification, toChatMessage } from "../../realtime/resources";
import { findChannel } from "../channels/channels.queries";
import { channelNotFound } from "../channels/channels.routes";
import { ChannelParams } from "../channels/channels.schemas";
import { toEphemeralMessageResource, toMessageResource } from "./messages.present";
import { insertIntoPersistedChannel, type SystemContent } from "./messages.queries";
import { CreateMessageBody, MessageResource, UploadMessageForm } from "./messages.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound, 413: tooLarge, 415: unsupported } = errorResponses;

/**
 * Requests whose body may be as large as a file: a multipart POST to a channel's messages. The
 * app's body limit lets these through up to MAX_FILE_BYTES (plus framing), every other request up
 * to MAX_BODY_BYTES. @example isFileUpload("POST", "/v1/applications/1/channels/2/messages", "multipart/form-data; boundary=x")
 */
export const isFileUpload = (method: string, path: string, contentType: string | undefined) =>
  method === "POST" && isMultipart(contentType) && CHANNEL_MESSAGES_PATH.test(path);

const CHANNEL_MESSAGES_PATH = /^\/v1\/applications\/[^/]+\/channels\/[^/]+\/messages$/;

function isMultipart(contentType: string | undefined): boolean {
  return /^multipart\/form-data\b/i.test(contentType ?? "");
}

/** Room for the multipart framing (boundaries, part headers, a group tag) around the file. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

export const fileTooLarge = (maxFileBytes: number) =>
  new ApiError("PayloadTooLargeError", `Files are limited to ${maxFileBytes} bytes`, {
    file: `must be at most ${maxFileBytes} bytes`,
  });

/**
 * Forms are accepted as multipart only: a urlencoded form cannot carry a file, so it gets the
 * 415 any other non-JSON body gets (rather than a 400 about a missing file part).
 */
function multipartOnly(c: Context<AppEnv>, next: Next) {
  if (/^application\/x-www-form-urlencoded\b/i.test(c.req.header("Content-Type") ?? "")) {
    throw new ApiError("UnsupportedMediaTypeError", "Send application/json, or multipart/form-data with a file part");
  }
  return next();
}

/**
 * The validated JSON body. Without a Content-Type (so without a body) no validator ran: answer as
 * for an empty object, naming the missing field.
 */
const jsonBodyOf = (contentType: string | undefined, validated: CreateMessageBody): CreateMessageBody => {
  if (contentType) return validated;
  const parsed = CreateMessageBody.safeParse({});
  throw parsed.success ? new ApiError("InvalidRequestError", "A request body is required") : validationError(parsed.error, "json");
};

/**
 * Sends a system message to a channel: held by the room of an OPEN channel (ephemeral, never
 * D1), else persisted and then published live to the channel's chat sessions. A hosted file of
 * an OPEN channel's message stays in R2 after the room forgets the message: it is deleted with the
 * channel (every object under `<app>/<channel>/`), or earlier by a bucket lifecycle rule.
 */
const sendSystemMessage = async (c: Context<AppEnv>, appId: number, channelId: number, content: SystemContent) => {
  const { message, channel } = await insertIntoPersistedChannel(c.var.db, appId, channelId, content);
  if (!channel) throw channelNotFound(channelId);
  const room = channelRoomStub(c.env, appId, channel.id);
  if (!message) {
    // OPEN: the room holds it; nothing is written to D1.
    const fields =
      content.type === "SYSTEM_TEXT"
        ? { body: content.body }
        : { file: content.file, ...(content.groupTag !== undefined ? { groupTag: content.groupTag } : {}) };
    const held = await room.post(channel.id, { type: content.type, ...fields });
    return halCreated(c, toEphemeralMessageResource(appId, channel.id, held, c.var.links));
  }
  // Live delivery to chat sessions happens after the response; the message is already safe.
  const live = toChatMessage({ ...message, properties: {}, user: null });
  c.executionCtx.waitUntil(
    room.publish(channel.id, messageCreatedEvent(live), undefined, {
      applicationId: appId,
      senderId: null,
      notification: messageNotification(channel, live),
    }),
  );
  const resource = toMessageResource(appId, message, c.var.links);
  return halCreated(c, resource, resource._links.self?.href);
};

/**
 * A system message, in one of three bodies: JSON text (`{body}` or `{type: "TEXT", body}`), JSON
 * link to an external file (`{type: "FILE", file, groupTag?}`), or `multipart/form-data` with a
 * `file` part (and an optional `groupTag` part) that this server stores in R2. Not `required`:
 * with several media types declared, `@hono/zod-openapi` then validates only the one sent (a
 * required body would run every validator on every request); a request without any body is
 * answered by the handler as an empty JSON object would be.
 */
export const createMessageRoute = createRoute({
  method: "post",
  path: "/applications/{applicationId}/channels/{channelId}/messages",
  summary: "Send a system message: text, an external file, or an uploaded file (persisted, or ephemeral in an OPEN channel)",
  middleware: [multipartOnly] as const,
  request: {
    params: ChannelParams,
    body: {
      required: false,
      content: {
        "application/json": { schema: CreateMessageBody },
        "application/hal+json": { schema: CreateMessageBody },
        "multipart/form-data": { schema: UploadMessageForm },
      },
    },
  },
  responses: {
    // An OPEN channel's messages are not persisted and have no address: no Location then.
    201: createdContent(MessageResource, "The new message", { locationRequired: false }),
    400: badRequest,
    401: unauthorized,
    404: notFound,
    413: tooLarge,
    415: { ...unsupported, description: "Request body is neither JSON nor multipart/form-data" },
  },
});

export const createMessageRoutes = createRouter()
  .openapi(createMessageRoute, async (c) => {
    const { applicationId, channelId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    if (isMultipart(c.req.header("Content-Type"))) {
      // The route declares two body schemas, so `valid` is typed as either; the form validator
      // ran, because the body is multipart.
      const { file, groupTag } = c.req.valid("form") as UploadMessageForm;
      const { maxFileBytes } = c.var.config;
      if (file.size > maxFileBytes) throw fileTooLarge(maxFileBytes);
      const channel = await findChannel(c.var.db, appId, channelId);
      if (!channel) throw channelNotFound(channelId);
      const stored = await putFile(c.env.FILES, c.var.links.base, appId, channelId, file);
      try {
        return await sendSystemMessage(c, appId, channelId, { type: "SYSTEM_FILE", file: stored, groupTag });
      } catch (e) {
        // Nothing refers to the object now: don't leave it behind.
        await deleteFiles(c.env.FILES, [stored]);
        throw e;
      }
    }
    const body = jsonBodyOf(c.req.header("Content-Type"), c.req.valid("json") as CreateMessageBody);
    if (body.type === "FILE") {
      const file: StoredFile = { type: "EXTERNAL", ...body.file };
      return sendSystemMessage(c, appId, channelId, { type: "SYSTEM_FILE", file, groupTag: body.groupTag });
    }
    return sendSystemMessage(c, appId, channelId, { type: "SYSTEM_TEXT", body: body.body });
  });
