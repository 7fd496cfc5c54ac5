/**
 * The SDK's HTTP side (spec §3.6): `POST /stompx/v1/channels/{id}/messages` uploads a file
 * message, authorised by the session's write grant in the `Grant` header, and
 * `GET /stompx/v1/files/...` serves a hosted file. Both are outside the `/v1` bearer auth, and
 * mounted before the JSON API's 1 MiB body limit: uploads have their own (`MAX_FILE_BYTES`).
 * Browsers call these cross-origin, so they answer CORS (no credentials are involved).
 */
import { Hono, type Context } from "hono";
import { requestId } from "hono/request-id";
import { signingKeys, verifyGrant } from "../auth/tokens";
import { readConfig } from "../config";
import { createDb } from "../db/client";
import { channelRoomStub } from "../durable/channel-room";
import type { AppEnv } from "../env";
import { baseUrlFor } from "../http/links";
import { deleteFiles, putFile, withFormFilename } from "../files/storage";
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

streamRoutes.post("/stompx/v1/channels/:channelId{[1-9][0-9]{0,15}}/messages", async (c) => {
  const config = readConfig(c.env);
  const channelId = Number(c.req.param("channelId"));
  const grant = await verifyGrant(await signingKeys(c.env.JWT_PRIVATE_KEY), c.req.header("Grant") ?? "", "file:write", {
    issuer: config.tokenIssuer,
  });
  if (!grant) return streamError(c, 401, "UnauthorizedError", "A valid write grant is required in the Grant header");

  const declared = Number(c.req.header("Content-Length") ?? "0");
  // Multipart framing adds a little to the file itself.
  const limit = config.maxFileBytes + 64 * 1024;
  if (declared > limit) return streamError(c, 413, "PayloadTooLargeError", `Files are limited to ${config.maxFileBytes} bytes`);
  const body = await c.req.arrayBuffer();
  if (body.byteLength > limit) return streamError(c, 413, "PayloadTooLargeError", `Files are limited to ${config.maxFileBytes} bytes`);
  const form = await readForm(c.req.raw, body);
  if (!form) return streamError(c, 415, "UnsupportedMediaTypeError", "Send the file as multipart/form-data");
  const part = form.get("file");
  const file = part instanceof File ? withFormFilename(part) : undefined;
  if (!file) return streamError(c, 400, "InvalidRequestError", "The form needs a file part named file");
  if (file.size === 0) return streamError(c, 400, "InvalidRequestError", "The file is empty");
  if (file.size > config.maxFileBytes) return streamError(c, 413, "PayloadTooLargeError", `Files are limited to ${config.maxFileBytes} bytes`);

  const db = createDb(c.env.DB);
  const { applicationId, userId } = grant;
  const [channel, sender] = await Promise.all([
    findVisibleChannel(db, applicationId, userId, channelId),
    findChatUser(db, applicationId, userId),
  ]);
  if (!channel || !sender) return streamError(c, 404, "ChannelNotFoundError", `Channel ${channelId} not found`);
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
  await room.publish(channelId, messageCreatedEvent(message), undefined, {
    applicationId,
    senderId: userId,
    notification: messageNotification(channel, message),
  });
  return c.json(message, 200, CORS);
});

streamRoutes.get("/stompx/v1/files/:app{[0-9]+}/:channel{[0-9]+}/:id{[0-9a-f-]{36}}/:name", async (c) => {
  const object = await c.env.FILES.get(`${c.req.param("app")}/${c.req.param("channel")}/${c.req.param("id")}`);
  if (!object) return streamError(c, 404, "FileNotFoundError", "No such file");
  return new Response(object.body, {
    headers: {
      ...CORS,
      "Content-Type": object.httpMetadata?.contentType ?? "application/octet-stream",
      "Content-Length": String(object.size),
      "Content-Disposition": `inline; filename*=UTF-8''${encodeURIComponent(object.customMetadata?.name ?? "file")}`,
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "private, max-age=31536000, immutable",
      ETag: object.httpEtag,
    },
  });
});
