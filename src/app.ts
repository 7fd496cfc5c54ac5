/**
 * Builds the Worker's app. Middleware order matters: request id first so every log line and
 * error carries it; body limit and Accept checks before any route reads a body; `/v1` requires a
 * bearer token before routing, so unknown `/v1` paths without a token are 401 (contract §3).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { methodNotAllowed } from "hono/method-not-allowed";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { bearerAuth } from "./http/bearer";
import { d1Session } from "./http/bookmark";
import { conditionalGet } from "./http/conditional";
import { accessLog } from "./http/access-log";
import { registerOpenApi } from "./openapi";
import { oauthRoutes } from "./api/oauth/oauth.routes";
import { readConfig } from "./config";
import type { AppEnv } from "./env";
import { ApiError, errorResponse, notFound, onError } from "./http/errors";
import { baseUrlFor, createLinks } from "./http/links";
import { browserLanding } from "./http/landing";
import { normalizeJsonContentType, requireJsonAccept } from "./http/media-type";
import { apiRateLimit, tokenRateLimit } from "./http/rate-limit";
import { defaultHook } from "./http/validation";
import { applicationRoutes } from "./api/applications/applications.routes";
import { currentApplicationRoutes } from "./api/applications/current-application.routes";
import { currentUnreadSummaryRoutes } from "./api/applications/current-unread-summaries.routes";
import { channelRoutes } from "./api/channels/channels.routes";
import { currentChannelEventRoutes } from "./api/channels/current-channel-events.routes";
import { currentChannelRoutes } from "./api/channels/current-channels.routes";
import { currentParticipantRoutes } from "./api/channels/current-participants.routes";
import { sessionRoutes } from "./api/sessions/sessions.routes";
import { currentInviteRoutes } from "./api/channels/current-invites.routes";
import { memberRoutes } from "./api/channels/members.routes";
import { isFileUpload } from "./api/messages/messages.create";
import { importRoutes, isImportUpload } from "./api/imports/imports.routes";
import { fileTooLarge, MULTIPART_OVERHEAD_BYTES } from "./chat/rules";
import { fromChatError } from "./http/errors";
import { messageRoutes } from "./api/messages/messages.routes";
import { currentMessageRoutes } from "./api/messages/current-messages.routes";
import { chatFunctionRoutes } from "./api/functions/chat-functions.routes";
import { rootRoutes } from "./api/root/root.routes";
import { tokenRoutes } from "./api/tokens/tokens.routes";
import { userRoutes } from "./api/users/users.routes";
import { currentThreadRoutes } from "./api/threads/current-threads.routes";
import { currentDisplayPictureRoutes, isPictureUpload } from "./api/users/current-display-picture.routes";
import { currentNotificationRoutes } from "./api/users/current-notifications.routes";
import { currentUserMessageRoutes } from "./api/users/current-user-messages.routes";
import { currentUserSecretRoutes } from "./api/users/current-user-secrets.routes";
import { currentUserRoutes } from "./api/users/current-users.routes";
import { streamRoutes } from "./realtime/stream.routes";
import { websocketRoutes } from "./realtime/websocket.routes";

export const createApp = () => {
  const app = new OpenAPIHono<AppEnv>({ defaultHook });

  // Chat sessions first: a WebSocket upgrade answers with the shard's 101 as it is, untouched
  // by the JSON API's middleware.
  app.route("/", websocketRoutes);
  app.route("/", streamRoutes);

  app.use(requestId());
  app.use(accessLog);
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, allowed) =>
        errorResponse(
          c,
          new ApiError("MethodNotAllowedError", `${c.req.method} is not allowed here; use ${allowed.join(", ")}`, undefined, {
            Allow: allowed.join(", "),
          }),
        ),
    }),
  );
  app.use(secureHeaders({ crossOriginResourcePolicy: false }));
  app.use(async (c, next) => {
    const config = readConfig(c.env);
    c.set("config", config);
    c.set("links", createLinks(baseUrlFor(c.req.url, config.publicBaseUrl)));
    await next();
  });
  app.use(d1Session);
  app.use(conditionalGet);
  app.use((c, next) => {
    const { maxBodyBytes, maxFileBytes } = c.var.config;
    // A file upload to a channel's messages, a display picture or an import may be as large as a file (plus
    // its multipart framing; the handler checks the file itself); every other body is held to MAX_BODY_BYTES.
    const contentType = c.req.header("Content-Type");
    const upload =
      isFileUpload(c.req.method, c.req.path, contentType) ||
      isPictureUpload(c.req.method, c.req.path, contentType) ||
      isImportUpload(c.req.method, c.req.path);
    const maxSize = upload ? Math.max(maxBodyBytes, maxFileBytes + MULTIPART_OVERHEAD_BYTES) : maxBodyBytes;
    return bodyLimit({
      maxSize,
      onError: () => {
        throw upload
          ? fromChatError(fileTooLarge(maxFileBytes))
          : new ApiError("PayloadTooLargeError", `The request body is larger than ${maxSize} bytes`);
      },
    })(c, next);
  });
  app.all("/", browserLanding); // a browser at / lands on the API Explorer (before the Accept check)
  app.use(requireJsonAccept);
  app.use(normalizeJsonContentType);

  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.post("/oauth/token", tokenRateLimit);
  app.route("/", oauthRoutes);

  // Public: read before a client has a token (the explorer, code generators).
  registerOpenApi(app);

  // Counted per application once the token verified: unauthenticated floods spend nobody's budget.
  // (`/v1/*` matches `/v1` itself too, so the limit is not repeated below: one count per request.)
  app.use("/v1/*", bearerAuth, apiRateLimit);
  app.use("/v1", bearerAuth);
  app.route("/", rootRoutes);
  app.route("/v1", applicationRoutes);
  app.route("/v1", userRoutes);
  app.route("/v1", tokenRoutes);
  app.route("/v1", channelRoutes);
  app.route("/v1", memberRoutes);
  app.route("/v1", messageRoutes);
  // The current (token-scoped) form: the same operations and presenters, the token's application.
  app.route("/v1", currentApplicationRoutes);
  app.route("/v1", currentUnreadSummaryRoutes);
  app.route("/v1", currentUserRoutes);
  app.route("/v1", currentUserMessageRoutes);
  app.route("/v1", currentNotificationRoutes);
  app.route("/v1", currentDisplayPictureRoutes);
  app.route("/v1", currentUserSecretRoutes);
  app.route("/v1", currentChannelRoutes);
  app.route("/v1", currentParticipantRoutes);
  app.route("/v1", sessionRoutes);
  app.route("/v1", currentChannelEventRoutes);
  app.route("/v1", currentInviteRoutes);
  app.route("/v1", currentMessageRoutes);
  app.route("/v1", currentThreadRoutes);
  app.route("/v1", importRoutes);
  app.route("/v1", chatFunctionRoutes);

  app.notFound(notFound);
  app.onError(onError);
  return app;
};
