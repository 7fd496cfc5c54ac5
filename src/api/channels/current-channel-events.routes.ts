/**
 * Signals to a channel's live sessions in the current (token-scoped) form: `POST
 * /v1/channels/{id}/events` (a custom event from the back end) and `POST
 * /v1/channels/{id}/keystrokes` (typing, on a user's behalf). Nothing is stored; the answer is
 * what the sessions got (channel-events.operations.ts).
 */
import { createRoute } from "@hono/zod-openapi";
import { hal, halContent } from "../../http/hal";
import { currentJsonBody, errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";
import { sendChannelEvent, sendKeystrokes } from "./channel-events.operations";
import { toChannelEventResource, toKeystrokesResource } from "./channel-events.present";
import { ChannelEventResource, CreateChannelEventBody, CreateKeystrokesBody, KeystrokesResource } from "./channel-events.schemas";
import { CurrentChannelParams } from "./channels.schemas";

const { 400: badRequest, 401: unauthorized, 403: forbidden, 404: notFound, 415: unsupported } = errorResponses;

const sendEventRoute = createRoute({
  method: "post",
  path: "/channels/{channelId}/events",
  summary: "Send a custom event to the channel's live chat sessions (not stored)",
  description:
    "Watchers of the channel get it as a channel.event.triggered event on the channel's topic; the back end sends it, so it has no user.",
  request: { params: CurrentChannelParams, body: currentJsonBody(CreateChannelEventBody) },
  responses: {
    200: halContent(ChannelEventResource, "The event as the sessions got it"),
    400: badRequest,
    401: unauthorized,
    404: notFound,
    415: unsupported,
  },
});

/** Keystrokes of a user, to a channel or its MAIN thread (current-threads.routes.ts). */
export const keystrokesResponses = {
  200: halContent(KeystrokesResource, "The keystrokes as the sessions got them"),
  400: { ...badRequest, description: "An invalid body, or a user who is not a user of this application" },
  401: unauthorized,
  403: { ...forbidden, description: "The user is not a member of this PRIVATE or DIRECT channel" },
  404: notFound,
  415: unsupported,
};

const sendKeystrokesRoute = createRoute({
  method: "post",
  path: "/channels/{channelId}/keystrokes",
  summary: "Send what a user is typing to the channel's other live chat sessions (not stored)",
  description:
    "Watchers of the channel, except the user's own sessions, get a thread.keystrokes.created event on the channel's topic. " +
    'The user is named by {"id": …} or {"username": …}.',
  request: { params: CurrentChannelParams, body: currentJsonBody(CreateKeystrokesBody) },
  responses: keystrokesResponses,
});

export const currentChannelEventRoutes = createRouter()
  .openapi(sendEventRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { channelId } = c.req.valid("param");
    const event = await sendChannelEvent(c, appId, channelId, c.req.valid("json"));
    return hal(c, toChannelEventResource(appId, channelId, event, c.var.links));
  })
  .openapi(sendKeystrokesRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { channelId } = c.req.valid("param");
    const sent = await sendKeystrokes(c, appId, channelId, c.req.valid("json"));
    return hal(c, toKeystrokesResource(appId, channelId, sent, c.var.links));
  });
