/**
 * The SDK's HTTP side (spec §3.6): `POST /stompx/v1/channels/{id}/messages` uploads a file
 * message, authorised by the session's write grant in the `Grant` header, and
 * `GET /stompx/v1/files/...` serves a hosted file. Both are outside the `/v1` bearer auth, and
 * mounted before the JSON API's 1 MiB body limit: uploads have their own (`MAX_FILE_BYTES`).
 * Browsers call these cross-origin, so they answer CORS (no credentials are involved).
 */
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { requestId } from "hono/request-id";
import { signingKeys, verifyGrant } from "../auth/tokens";
import { readConfig } from "../config";
import { createDb } from "../db/client";
import { channelRoomStub, publishSaved } from "../durable/channel-room";
import type { AppEnv } from "../env";
import { baseUrlFor } from "../http/links";
import { deleteFiles, putFile, withFormFilename } from "../files/storage";
import { isFileServable } from "../files/deletions";
import { fileServingHeaders } from "../files/serving";
import { MULTIPART_OVERHEAD_BYTES } from "../resources/messages/messages.create";
import { userTokenExists } from "../resources/tokens/tokens.queries";
import { findChatUser, findVisibleChannel, insertUserMessage } from "./chat.queries";
import { messageCreatedEvent, messageNotification, toChatMessage, toChatUser, toEphemeralChatMessage } from "./resources";

const CORS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
  "Access-Control-Allow-Headers": "Grant, Content-Type",
  "Access-Control-Max-Age": "86400",
};

const streamError = (c: Context, status: 400 | 401 | 403 | 404 | 413 | 415, error: string, message: string) =>
  c.json({ error, message, timestamp: new Date().toISOString() }, status, CORS);

/**
 * The upload as FormData. Node's SDK sends `Content-Type: multipart/form-data` without a
 * boundary (axios drops it there); the boundary is then the body's first line, as multipart
 * always starts with `--<boundary>\r\n`.
 */
const readForm = async (request: Request, body: ArrayBuffer): Promise<FormData | undefined> => {
  let contentType = request.headers.get("Content-Type") ?? "";
  if (!/^multipart\/form-data/i.test(contentType)) return undefined;
  if (!/boundary=/i.test(contentType)) {
    const head = new TextDecoder().decode(body.slice(0, 200));
    const boundary = /^--([^\r\n]{1,70})\r\n/.exec(head)?.[1];
    if (!boundary) return undefined;
    contentType = `multipart/form-data; boundary=${boundary}`;
  }
  try {
    return await new Response(body, { headers: { "Content-Type": contentType } }).formData();
  } catch {
    return undefined;
  }
};

export const streamRoutes = new Hono<AppEnv>();

// These routes sit before the API's middleware (their own body limit); they still carry a request id.
streamRoutes.use(requestId());

streamRoutes.options("/stompx/v1/*", (c) => c.body(null, 204, CORS));

/** The write grant in the `Grant` header, verified before a byte of the body is read. */
const requireWriteGrant = createMiddleware<AppEnv>(async (c, next) => {
  const grant = await verifyGrant(await signingKeys(c.env.JWT_PRIVATE_KEY), c.req.header("Grant") ?? "", "file:write", {
    issuer: readConfig(c.env).tokenIssuer,
  });
  if (!grant) return streamError(c, 401, "UnauthorizedError", "A valid write grant is required in the Grant header");
  c.set("grant", grant);
  await next();
});

/**
 * The upload's bytes are counted as they stream in (a chunked body has no length to check
 * first): past the file limit plus multipart framing the upload stops with a 413.
 */
const uploadLimit = createMiddleware<AppEnv>((c, next) => {
  const { maxFileBytes } = readConfig(c.env);
  return bodyLimit({
    maxSize: maxFileBytes + MULTIPART_OVERHEAD_BYTES,
    onError: (c) => streamError(c, 413, "PayloadTooLargeError", `Files are limited to ${maxFileBytes} bytes`),
  })(c, next);
});

streamRoutes.post("/stompx/v1/channels/:channelId{[1-9][0-9]{0,15}}/messages", requireWriteGrant, uploadLimit, async (c) => {
  const config = readConfig(c.env);
  const channelId = Number(c.req.param("channelId"));
  const grant = c.var.grant;
  const form = await readForm(c.req.raw, await c.req.arrayBuffer());
  if (!form) return streamError(c, 415, "UnsupportedMediaTypeError", "Send the file as multipart/form-data");
  const part = form.get("file");
  const file = part instanceof File ? withFormFilename(part) : undefined;
  if (!file) return streamError(c, 400, "InvalidRequestError", "The form needs a file part named file");
  if (file.size === 0) return streamError(c, 400, "InvalidRequestError", "The file is empty");
  if (file.size > config.maxFileBytes) return streamError(c, 413, "PayloadTooLargeError", `Files are limited to ${config.maxFileBytes} bytes`);

  const db = createDb(c.env.DB);
  const { applicationId, userId, tokenId } = grant;
  // The grant outlives changes to what it was issued for: check the user, their membership and
  // the session's challenge token again now.
  const [channel, sender, tokenLive] = await Promise.all([
    findVisibleChannel(db, applicationId, userId, channelId),
    findChatUser(db, applicationId, userId),
    tokenId === undefined ? true : userTokenExists(db, applicationId, userId, tokenId),
  ]);
  if (!sender || !tokenLive) return streamError(c, 401, "UnauthorizedError", "This grant's session has ended");
  if (!channel) return streamError(c, 404, "ChannelNotFoundError", `Channel ${channelId} not found`);
  if (!channel.isMember) return streamError(c, 403, "NotAChannelMemberError", `Join channel ${channelId} before sending to it`);

  const stored = await putFile(c.env.FILES, baseUrlFor(c.req.url, config.publicBaseUrl), applicationId, channelId, file);
  const room = channelRoomStub(c.env, applicationId, channelId);
  if (channel.type === "OPEN") {
    // Ephemeral like text; the bytes stay in R2 (a bucket lifecycle rule can expire them).
    const { properties: _p, ...user } = toChatUser(sender);
    const held = await room.post(channelId, { type: "FILE", file: stored, user });
    return c.json(toEphemeralChatMessage(channelId, held), 200, CORS);
  }
  let row;
  try {
    row = await insertUserMessage(db, applicationId, channelId, userId, { type: "FILE", file: stored });
  } catch (e) {
    await deleteFiles(c.env.FILES, [stored]);
    throw e;
  }
  const message = toChatMessage({ ...row, channelId, type: "FILE", body: null, file: stored, properties: {}, user: sender });
  // Everyone watching the channel sees it live, the uploader included (no receipt: HTTP answered).
  await publishSaved(room, channelId, messageCreatedEvent(message), undefined, {
    applicationId,
    senderId: userId,
    notification: messageNotification(channel, message),
  });
  return c.json(message, 200, CORS);
});

streamRoutes.get("/stompx/v1/files/:app{[0-9]+}/:channel{[0-9]+}/:id{[0-9a-f-]{36}}/:name", async (c) => {
  // Set first, so that every answer of this route, errors included, carries the serving policy.
  for (const [name, value] of Object.entries(fileServingHeaders())) c.header(name, value);
  const [applicationId, channelId] = [Number(c.req.param("app")), Number(c.req.param("channel"))];
  if (!Number.isSafeInteger(applicationId) || !Number.isSafeInteger(channelId)) return streamError(c, 404, "FileNotFoundError", "No such file");
  const key = `${c.req.param("app")}/${c.req.param("channel")}/${c.req.param("id")}`;
  // Checked where the bytes leave: a file whose message, sender or channel was deleted is gone
  // from the moment the delete was answered, even while R2 still holds it.
  const [servable, object] = await Promise.all([isFileServable(createDb(c.env.DB), applicationId, channelId, key), c.env.FILES.get(key)]);
  if (!object || !servable) {
    await object?.body.cancel();
    return streamError(c, 404, "FileNotFoundError", "No such file");
  }
  const file = { contentType: object.httpMetadata?.contentType ?? "application/octet-stream", name: object.customMetadata?.name ?? "file" };
  return new Response(object.body, {
    headers: {
      ...CORS,
      ...fileServingHeaders(file),
      "Content-Length": String(object.size),
      "Cache-Control": "private, max-age=31536000, immutable",
      ETag: object.httpEtag,
    },
  });
});
