/**
 * Creating system messages (`POST {channel messages}`): text and external files as JSON, files to
 * store as multipart/form-data. Uploads may be far larger than other request bodies, so this
 * module also tells the app's body limit which requests are uploads.
 */
import { createRoute } from "@hono/zod-openapi";
import type { Context, Next } from "hono";
import { isUniqueViolation } from "../../db/errors";
import type { StoredFile } from "../../db/schema";
import { channelRoomStub, publishSaved, type ChannelRoom, type EphemeralMessage, type NewEphemeralMessage } from "../../durable/channel-room";
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
import {
  fileDigest,
  findIdempotencyKey,
  IdempotencyHeaders,
  keyReused,
  requestFingerprint,
  type IdempotencyClaim,
} from "./messages.idempotency";
import { toEphemeralMessageResource, toMessageResource } from "./messages.present";
import { findMessage, insertIntoPersistedChannel, type SystemContent } from "./messages.queries";
import { CreateMessageBody, MessageResource, UploadMessageForm } from "./messages.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound, 409: conflict, 413: tooLarge, 415: unsupported } = errorResponses;

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

/** What a POST asks for: a message with its content, or a file still to store. */
type Draft = { content: SystemContent } | { upload: File; groupTag: string | undefined };

/** A multipart request's draft: a file to store (over MAX_FILE_BYTES: 413). */
const uploadDraft = ({ file, groupTag }: UploadMessageForm, maxFileBytes: number): Draft => {
  if (file.size > maxFileBytes) throw fileTooLarge(maxFileBytes);
  return { upload: file, groupTag };
};

/** A JSON request's draft: a text message, or a link to an external file. */
const jsonDraft = (body: CreateMessageBody): Draft => {
  if (body.type !== "FILE") return { content: { type: "SYSTEM_TEXT", body: body.body } };
  const file: StoredFile = { type: "EXTERNAL", ...body.file };
  return { content: { type: "SYSTEM_FILE", file, groupTag: body.groupTag } };
};

/**
 * The fingerprint's view of a draft, in a fixed key order: an upload by its bytes, name and type
 * (where it will be stored is not known yet, and differs on every attempt).
 */
const requestedContent = async (draft: Draft) => {
  if ("content" in draft) return draft.content;
  const { upload, groupTag } = draft;
  const file = { sha256: await fileDigest(upload), name: upload.name, contentType: upload.type, size: upload.size };
  return { type: "SYSTEM_FILE", upload: file, groupTag: groupTag ?? null };
};

/** What a send answered: the message, and whether this request created it (not a retry's replay). */
interface Sent {
  resource: MessageResource;
  created: boolean;
}

/**
 * The message an unexpired key already sent to a persisted channel, if any; the same key with a
 * different request is a 409. (Keys of OPEN channels live in their rooms: see `holdInRoom`.)
 */
const earlierMessage = async (c: Context<AppEnv>, appId: number, claim: IdempotencyClaim): Promise<MessageResource | undefined> => {
  const record = await findIdempotencyKey(c.var.db, appId, claim.key);
  if (!record) return undefined;
  if (record.fingerprint !== claim.fingerprint) throw keyReused(claim.key);
  const message = await findMessage(c.var.db, appId, record.messageId);
  if (!message) throw new ApiError("ResourceNotFoundError", `Message ${record.messageId}, sent with this Idempotency-Key, was deleted since`);
  return toMessageResource(appId, message, c.var.links);
};

/**
 * Inserts into a persisted channel. A concurrent request with the same key that committed first
 * makes the insert fail as a whole (UNIQUE on the key): then the message that request sent.
 */
const insertOrFindEarlier = async (
  c: Context<AppEnv>,
  appId: number,
  channelId: number,
  content: SystemContent,
  claim: IdempotencyClaim | undefined,
) => {
  try {
    return { inserted: await insertIntoPersistedChannel(c.var.db, appId, channelId, content, claim) };
  } catch (e) {
    const earlier = claim && isUniqueViolation(e) ? await earlierMessage(c, appId, claim) : undefined;
    if (!earlier) throw e;
    return { earlier };
  }
};

/** An OPEN channel's message: held by its room (ephemeral, never D1), which also keeps its keys. */
const holdInRoom = async (
  room: DurableObjectStub<ChannelRoom>,
  channelId: number,
  content: SystemContent,
  claim: IdempotencyClaim | undefined,
): Promise<{ message: EphemeralMessage; created: boolean }> => {
  const fields =
    content.type === "SYSTEM_TEXT"
      ? { body: content.body }
      : { file: content.file, ...(content.groupTag !== undefined ? { groupTag: content.groupTag } : {}) };
  const message: NewEphemeralMessage = { type: content.type, ...fields };
  if (!claim) return { message: await room.post(channelId, message), created: true };
  const posted = await room.postOnce(channelId, message, claim);
  if (posted.outcome === "conflict") throw keyReused(claim.key);
  return { message: posted.message, created: posted.outcome === "created" };
};

/**
 * Sends a system message to a channel: held by the room of an OPEN channel, else persisted and
 * then published live to the channel's chat sessions. A hosted file of an OPEN channel's message
 * stays in R2 after the room forgets the message: it is deleted with the channel (every object
 * under `<app>/<channel>/`), or earlier by a bucket lifecycle rule.
 */
const sendSystemMessage = async (
  c: Context<AppEnv>,
  appId: number,
  channelId: number,
  content: SystemContent,
  claim: IdempotencyClaim | undefined,
): Promise<Sent> => {
  const result = await insertOrFindEarlier(c, appId, channelId, content, claim);
  if (result.earlier) return { resource: result.earlier, created: false };
  const { message, channel } = result.inserted;
  if (!channel) throw channelNotFound(channelId);
  const room = channelRoomStub(c.env, appId, channel.id);
  if (!message) {
    const held = await holdInRoom(room, channel.id, content, claim);
    return { resource: toEphemeralMessageResource(appId, channel.id, held.message, c.var.links), created: held.created };
  }
  // Live delivery to chat sessions happens after the response; the message is already safe.
  const live = toChatMessage({ ...message, properties: {}, user: null });
  c.executionCtx.waitUntil(
    publishSaved(room, channel.id, messageCreatedEvent(live), undefined, {
      applicationId: appId,
      senderId: null,
      notification: messageNotification(channel, live),
    }),
  );
  return { resource: toMessageResource(appId, message, c.var.links), created: true };
};

/**
 * Stores the file in R2, then sends its message. The object is deleted again when nothing refers
 * to it: the send failed, or answered a retry with the message (and file) of the first attempt.
 */
const sendUpload = async (
  c: Context<AppEnv>,
  appId: number,
  channelId: number,
  { upload, groupTag }: { upload: File; groupTag: string | undefined },
  claim: IdempotencyClaim | undefined,
): Promise<Sent> => {
  const channel = await findChannel(c.var.db, appId, channelId);
  if (!channel) throw channelNotFound(channelId);
  const stored = await putFile(c.env.FILES, c.var.links.base, appId, channelId, upload);
  let sent: Sent;
  try {
    sent = await sendSystemMessage(c, appId, channelId, { type: "SYSTEM_FILE", file: stored, groupTag }, claim);
  } catch (e) {
    await deleteFiles(c.env.FILES, [stored]);
    throw e;
  }
  if (!sent.created) await deleteFiles(c.env.FILES, [stored]);
  return sent;
};

/** 201 with the message; `Location` when it has an address (an OPEN channel's has none). */
const respondCreated = (c: Context<AppEnv>, resource: MessageResource) => halCreated(c, resource, resource._links.self?.href);

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
    headers: IdempotencyHeaders,
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
    201: createdContent(MessageResource, "The new message, or the one an earlier request with the same Idempotency-Key sent", {
      locationRequired: false,
    }),
    400: badRequest,
    401: unauthorized,
    404: notFound,
    409: { ...conflict, description: "The Idempotency-Key was used for a different request in the last 24 hours" },
    413: tooLarge,
    415: { ...unsupported, description: "Request body is neither JSON nor multipart/form-data" },
  },
});

export const createMessageRoutes = createRouter().openapi(createMessageRoute, async (c) => {
  const { applicationId, channelId } = c.req.valid("param");
  const appId = requireOwnApplication(applicationId, c.var.auth);
  const contentType = c.req.header("Content-Type");
  // The route declares two body schemas, so `valid` is typed as either; the validator of the
  // media type sent is the one that ran.
  const draft = isMultipart(contentType)
    ? uploadDraft(c.req.valid("form") as UploadMessageForm, c.var.config.maxFileBytes)
    : jsonDraft(jsonBodyOf(contentType, c.req.valid("json") as CreateMessageBody));
  const key = c.req.valid("header")["idempotency-key"];
  const claim =
    key === undefined ? undefined : { key, fingerprint: await requestFingerprint(appId, channelId, await requestedContent(draft)) };
  // A retry is answered before anything is written (or stored in R2).
  const earlier = claim && (await earlierMessage(c, appId, claim));
  if (earlier) return respondCreated(c, earlier);
  const sent =
    "content" in draft ? await sendSystemMessage(c, appId, channelId, draft.content, claim) : await sendUpload(c, appId, channelId, draft, claim);
  return respondCreated(c, sent.resource);
});
