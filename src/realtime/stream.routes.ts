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
import { keyResolver } from "../auth/key-ring";
import { verifyGrant } from "../auth/tokens";
import { channelForMember } from "../chat/channels";
import { CHAT_ERROR_STATUS, ChatError } from "../chat/errors";
import { postUserMessage, postWithStoredFile, type ChatScope } from "../chat/messages";
import { userTokenExists } from "../chat/queries/user-tokens";
import { findUser } from "../chat/queries/users";
import { fileTooLarge, MULTIPART_OVERHEAD_BYTES } from "../chat/rules";
import { readConfig } from "../config";
import { createDb, openSession } from "../db/client";
import type { AppEnv } from "../env";
import { isFileServable } from "../files/deletions";
import { fileServingHeaders } from "../files/serving";
import { withFormFilename } from "../files/storage";
import { baseUrlFor } from "../http/links";
import { toChatMessage, toEphemeralChatMessage } from "./presenters";

const CORS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
  "Access-Control-Allow-Headers": "Grant, Content-Type",
  "Access-Control-Max-Age": "86400",
};

/** A chat operation's failure, named as chat sessions name it, with its HTTP status. */
const chatErrorResponse = (c: Context, e: ChatError) =>
  c.json({ error: e.error, message: e.message, timestamp: new Date().toISOString() }, CHAT_ERROR_STATUS[e.error], CORS);

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

/**
 * Files are checked against the primary: a membership just granted (by the same session's last
 * action) or a deletion just answered must count, whatever a nearby replica has seen yet.
 */
const primaryDb = (env: Env) => createDb(openSession(env.DB, "first-primary"));

export const streamRoutes = new Hono<AppEnv>();

// These routes sit before the API's middleware (their own body limit); they still carry a request id.
streamRoutes.use(requestId());

streamRoutes.options("/stompx/v1/*", (c) => c.body(null, 204, CORS));

/** The write grant in the `Grant` header, verified before a byte of the body is read. */
const requireWriteGrant = createMiddleware<AppEnv>(async (c, next) => {
  const config = readConfig(c.env);
  const resolve = keyResolver(c.env.JWT_PRIVATE_KEY, createDb(openSession(c.env.DB)), config.tokenEpochTtlSeconds);
  const grant = await verifyGrant(resolve, c.req.header("Grant") ?? "", "file:write", { issuer: config.tokenIssuer });
  if (!grant) return chatErrorResponse(c, new ChatError("UnauthorizedError", "A valid write grant is required in the Grant header"));
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
    onError: (c) => chatErrorResponse(c, fileTooLarge(maxFileBytes)),
  })(c, next);
});

streamRoutes.post("/stompx/v1/channels/:channelId{[1-9][0-9]{0,15}}/messages", requireWriteGrant, uploadLimit, async (c) => {
  const config = readConfig(c.env);
  const channelId = Number(c.req.param("channelId"));
  const grant = c.var.grant;
  const form = await readForm(c.req.raw, await c.req.arrayBuffer());
  if (!form) return chatErrorResponse(c, new ChatError("UnsupportedMediaTypeError", "Send the file as multipart/form-data"));
  const part = form.get("file");
  const file = part instanceof File ? withFormFilename(part) : undefined;
  if (!file) return chatErrorResponse(c, new ChatError("InvalidRequestError", "The form needs a file part named file"));
  if (file.size === 0) return chatErrorResponse(c, new ChatError("InvalidRequestError", "The file is empty"));
  if (file.size > config.maxFileBytes) return chatErrorResponse(c, fileTooLarge(config.maxFileBytes));
  try {
    const message = await postUpload(c, grant, channelId, file);
    return c.json(message, 200, CORS);
  } catch (e) {
    if (e instanceof ChatError) return chatErrorResponse(c, e);
    throw e;
  }
});

/**
 * Posts the uploaded file as the grant's user. The grant outlives changes to what it was issued
 * for: the user, their membership and the session's challenge token are checked again now.
 * Everyone watching the channel sees the message live, the uploader included (no receipt: HTTP
 * answers it).
 */
const postUpload = async (c: Context<AppEnv>, grant: AppEnv["Variables"]["grant"], channelId: number, file: File) => {
  const { applicationId, userId, tokenId } = grant;
  const scope: ChatScope = { env: c.env, db: primaryDb(c.env), applicationId };
  const [sender, tokenLive, channel] = await Promise.all([
    findUser(scope.db, applicationId, userId),
    tokenId === undefined ? true : userTokenExists(scope.db, applicationId, userId, tokenId),
    channelForMember(scope, userId, channelId).catch((e: unknown) => e as Error),
  ]);
  if (!sender || !tokenLive) throw new ChatError("UnauthorizedError", "This grant's session has ended");
  if (channel instanceof Error) throw channel;
  const baseUrl = baseUrlFor(c.req.url, readConfig(c.env).publicBaseUrl);
  const posted = await postWithStoredFile(scope, baseUrl, channelId, file, (stored) =>
    postUserMessage(scope, channel, sender, { type: "FILE", file: stored }),
  );
  return "held" in posted ? toEphemeralChatMessage(channelId, posted.held) : toChatMessage(posted.saved);
};

streamRoutes.get("/stompx/v1/files/:app{[0-9]+}/:channel{[0-9]+}/:id{[0-9a-f-]{36}}/:name", async (c) => {
  // Set first, so that every answer of this route, errors included, carries the serving policy.
  for (const [name, value] of Object.entries(fileServingHeaders())) c.header(name, value);
  const [applicationId, channelId] = [Number(c.req.param("app")), Number(c.req.param("channel"))];
  if (!Number.isSafeInteger(applicationId) || !Number.isSafeInteger(channelId))
    return chatErrorResponse(c, new ChatError("FileNotFoundError", "No such file"));
  const key = `${c.req.param("app")}/${c.req.param("channel")}/${c.req.param("id")}`;
  // Checked where the bytes leave: a file whose message, sender or channel was deleted is gone
  // from the moment the delete was answered, even while R2 still holds it.
  const [servable, object] = await Promise.all([isFileServable(primaryDb(c.env), applicationId, channelId, key), c.env.FILES.get(key)]);
  if (!object || !servable) {
    await object?.body.cancel();
    return chatErrorResponse(c, new ChatError("FileNotFoundError", "No such file"));
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
