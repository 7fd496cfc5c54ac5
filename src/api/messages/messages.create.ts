/**
 * Sending messages (`POST {channel messages}`, both forms): how a request's body is read. Text and
 * external files come as JSON, files to store as multipart/form-data (with or without a boundary
 * parameter). Uploads may be far larger than other request bodies, so this module also tells the
 * app's body limit which requests are uploads.
 */
import { createRoute } from "@hono/zod-openapi";
import type { Context, Next } from "hono";
import type { AppEnv } from "../../env";
import { ApiError } from "../../http/errors";
import { halCreated } from "../../http/hal";
import { boundaryFromBody } from "../../http/multipart";
import { requireOwnApplication } from "../../http/params";
import { createdContent, errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";
import { validationError } from "../../http/validation";
import { ChannelParams } from "../channels/channels.schemas";
import { jsonDraft, type MessageDraft, sendMessage, uploadDraft } from "./messages.operations";
import { CreateMessageBody, IdempotencyHeaders, MessageResource, UploadMessageForm } from "./messages.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound, 409: conflict, 413: tooLarge, 415: unsupported } = errorResponses;

/**
 * Requests whose body may be as large as a file: a multipart POST to a channel's messages, in
 * either form, or to a thread's. The app's body limit lets these through up to MAX_FILE_BYTES (plus framing), every
 * other request up to MAX_BODY_BYTES. @example isFileUpload("POST", "/v1/channels/2/messages", "multipart/form-data")
 */
export const isFileUpload = (method: string, path: string, contentType: string | undefined) =>
  method === "POST" && isMultipart(contentType) && MESSAGES_PATH.test(path);

const MESSAGES_PATH = /^\/v1\/((applications\/[^/]+\/)?channels|threads)\/[^/]+\/messages$/;

function isMultipart(contentType: string | undefined): boolean {
  return /^multipart\/form-data\b/i.test(contentType ?? "");
}

/**
 * What runs before a create route's validators. Forms are accepted as multipart only: a
 * urlencoded form cannot carry a file, so it gets the 415 any other non-JSON body gets (rather
 * than a 400 about a missing file part). A multipart body without a boundary parameter gets it
 * back from its first line.
 */
export function multipartOnly(c: Context<AppEnv>, next: Next) {
  if (/^application\/x-www-form-urlencoded\b/i.test(c.req.header("Content-Type") ?? "")) {
    throw new ApiError("UnsupportedMediaTypeError", "Send application/json, or multipart/form-data with a file part");
  }
  return boundaryFromBody(c, next);
}

/**
 * A create route's body is not `required`: with several media types declared, `@hono/zod-openapi`
 * then validates only the one sent (a required body would run every validator on every request);
 * a request without any body is answered as an empty JSON object would be.
 */
export const jsonContent = { schema: CreateMessageBody };
export const formContent = { schema: UploadMessageForm };

/**
 * The validated JSON body. Without a Content-Type (so without a body) no validator ran: answer as
 * for an empty object, naming the missing field.
 */
const jsonBodyOf = (contentType: string | undefined, validated: () => CreateMessageBody): CreateMessageBody => {
  if (contentType) return validated();
  const parsed = CreateMessageBody.safeParse({});
  throw parsed.success ? new ApiError("InvalidRequestError", "A request body is required") : validationError(parsed.error, "json");
};

/**
 * The draft a create request asks for. A route declares two body schemas, so `valid` is typed as
 * either; the validator of the media type sent is the one that ran.
 */
export const requestDraft = (c: Context<AppEnv>, form: () => UploadMessageForm, json: () => CreateMessageBody): MessageDraft => {
  const contentType = c.req.header("Content-Type");
  return isMultipart(contentType) ? uploadDraft(form(), c.var.config.maxFileBytes) : jsonDraft(jsonBodyOf(contentType, json));
};

/** 201 with the message; `Location` when it has an address (an OPEN channel's has none). */
export const respondCreated = (c: Context<AppEnv>, resource: MessageResource) => halCreated(c, resource, resource._links.self?.href);

export const createMessageResponses = {
  // An OPEN channel's messages are not persisted and have no address: no Location then.
  201: createdContent(MessageResource, "The new message, or the one an earlier request with the same Idempotency-Key sent", {
    locationRequired: false,
  }),
  400: { ...badRequest, description: "An invalid field, or a sender who is not a user of this application" },
  401: unauthorized,
  403: { ...errorResponses[403], description: "The sender is not a member of this PRIVATE or DIRECT channel" },
  404: notFound,
  409: { ...conflict, description: "The Idempotency-Key was used for a different request in the last 24 hours" },
  413: tooLarge,
  415: { ...unsupported, description: "Request body is neither JSON nor multipart/form-data" },
};

export const CREATE_DESCRIPTION =
  "Text (`{body}` or `{type: TEXT, body}`), a link to an external file (`{type: FILE, file}`), or multipart/form-data " +
  "with a `file` part this server stores (and optional `groupTag`, `username`, `properties` parts). With a `user` " +
  "(`username` in a form) the message is sent on that user's behalf (TEXT, FILE), who must be a member of a PRIVATE " +
  "or DIRECT channel; without one the application sends it (SYSTEM_TEXT, SYSTEM_FILE).";

const createMessageRoute = createRoute({
  method: "post",
  path: "/applications/{applicationId}/channels/{channelId}/messages",
  summary: "Send a message: text, an external file, or an uploaded file (persisted, or ephemeral in an OPEN channel)",
  description: CREATE_DESCRIPTION,
  middleware: [multipartOnly] as const,
  request: {
    params: ChannelParams,
    headers: IdempotencyHeaders,
    body: {
      required: false,
      content: { "application/json": jsonContent, "application/hal+json": jsonContent, "multipart/form-data": formContent },
    },
  },
  responses: createMessageResponses,
});

export const createMessageRoutes = createRouter().openapi(createMessageRoute, async (c) => {
  const { applicationId, channelId } = c.req.valid("param");
  const appId = requireOwnApplication(applicationId, c.var.auth);
  const draft = requestDraft(
    c,
    () => c.req.valid("form") as UploadMessageForm,
    () => c.req.valid("json") as CreateMessageBody,
  );
  return respondCreated(c, await sendMessage(c, appId, channelId, draft, c.req.valid("header")["idempotency-key"]));
});
