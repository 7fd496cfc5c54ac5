/**
 * Creating system messages (`POST {channel messages}`): text and external files as JSON, files to
 * store as multipart/form-data. Uploads may be far larger than other request bodies, so this
 * module also tells the app's body limit which requests are uploads.
 */
import { createRoute } from "@hono/zod-openapi";
import type { Context, Next } from "hono";
import { fileDigest, requestFingerprint } from "../../chat/idempotency";
import { channelNotFound } from "../../chat/errors";
import {
  findEarlierMessage,
  postSystemMessage,
  postWithStoredFile,
  type ChatScope,
  type PostOptions,
  type Posted,
  type SystemContent,
} from "../../chat/messages";
import { findChannel } from "../../chat/queries/channels";
import { fileTooLarge } from "../../chat/rules";
import type { StoredFile } from "../../db/schema";
import type { AppEnv } from "../../env";
import { ApiError } from "../../http/errors";
import { halCreated } from "../../http/hal";
import { chatScope, requireOwnApplication } from "../../http/params";
import { createdContent, errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";
import { validationError } from "../../http/validation";
import { ChannelParams } from "../channels/channels.schemas";
import { toEphemeralMessageResource, toMessageResource } from "./messages.present";
import { CreateMessageBody, IdempotencyHeaders, MessageResource, UploadMessageForm } from "./messages.schemas";

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
type UploadDraft = { upload: File; groupTag: string | undefined };
type Draft = { content: SystemContent } | UploadDraft;

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

/** Stores the file, unless there is no such channel, then sends its message. */
const postUpload = async (
  scope: ChatScope,
  baseUrl: string,
  channelId: number,
  { upload, groupTag }: UploadDraft,
  options: PostOptions,
) => {
  if (!(await findChannel(scope.db, scope.applicationId, channelId))) throw channelNotFound(channelId);
  return postWithStoredFile(scope, baseUrl, channelId, upload, (file) =>
    postSystemMessage(scope, channelId, { type: "SYSTEM_FILE", file, groupTag }, options),
  );
};

/** The message as the Platform API shows it. */
const present = (c: Context<AppEnv>, appId: number, channelId: number, posted: Posted): MessageResource =>
  "held" in posted
    ? toEphemeralMessageResource(appId, channelId, posted.held, c.var.links)
    : toMessageResource(appId, posted.saved, c.var.links);

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
const createMessageRoute = createRoute({
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
  const scope = chatScope(c, appId);
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
  const earlier = claim && (await findEarlierMessage(scope, claim));
  if (earlier) return respondCreated(c, toMessageResource(appId, earlier, c.var.links));
  // Live delivery to chat sessions happens after the response; the message is already safe.
  const options = { claim, defer: (delivery: Promise<unknown>) => c.executionCtx.waitUntil(delivery) };
  const posted =
    "content" in draft
      ? await postSystemMessage(scope, channelId, draft.content, options)
      : await postUpload(scope, c.var.links.base, channelId, draft, options);
  return respondCreated(c, present(c, appId, channelId, posted));
});
