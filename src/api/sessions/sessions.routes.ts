/**
 * Sessions, current form only (`/v1/user-sessions`, `/v1/chat-sessions`): ChatKitty's
 * `ChatUserSessionResource` (one real-time connection of a user, from its CONNECT until the socket
 * goes) and `ChatSessionResource` (that connection's presence in one channel, from its
 * subscription to the channel's messages until it unsubscribes or the connection ends).
 */
import { createRoute } from "@hono/zod-openapi";
import { hal, halContent } from "../../http/hal";
import { errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";
import { listChatSessions, listUserSessions, loadUserSession } from "./sessions.operations";
import { toChatSessionPage, toUserSessionPage, toUserSessionResource } from "./sessions.present";
import { ChatSessionPage, SessionListQuery, UserSessionPage, UserSessionParams, UserSessionResource } from "./sessions.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound } = errorResponses;

const listUserSessionsRoute = createRoute({
  method: "get",
  path: "/user-sessions",
  summary: "A page of the application's user sessions (ascending id unless sorted), ACTIVE or ENDED ones only with state",
  description: "Ended sessions are kept for 30 days.",
  request: { query: SessionListQuery },
  responses: { 200: halContent(UserSessionPage, "A page of user sessions"), 400: badRequest, 401: unauthorized },
});

const getUserSessionRoute = createRoute({
  method: "get",
  path: "/user-sessions/{sessionId}",
  summary: "A user session (what a chat session's session link names)",
  request: { params: UserSessionParams },
  responses: { 200: halContent(UserSessionResource, "The user session"), 401: unauthorized, 404: notFound },
});

const listChatSessionsRoute = createRoute({
  method: "get",
  path: "/chat-sessions",
  summary: "A page of the application's chat sessions (ascending id unless sorted), ACTIVE or ENDED ones only with state",
  description: "Ended sessions are kept for 30 days.",
  request: { query: SessionListQuery },
  responses: { 200: halContent(ChatSessionPage, "A page of chat sessions"), 400: badRequest, 401: unauthorized },
});

export const sessionRoutes = createRouter()
  .openapi(listUserSessionsRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { rows, meta } = await listUserSessions(c, appId, c.req.valid("query"));
    return hal(c, toUserSessionPage(appId, rows, meta, c.req.url, c.var.links));
  })
  .openapi(getUserSessionRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    return hal(c, toUserSessionResource(appId, await loadUserSession(c, appId, c.req.valid("param").sessionId), c.var.links));
  })
  .openapi(listChatSessionsRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { rows, meta } = await listChatSessions(c, appId, c.req.valid("query"));
    return hal(c, toChatSessionPage(appId, rows, meta, c.req.url, c.var.links));
  });
