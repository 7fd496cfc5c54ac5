/** `/v1/channels/{id}/participants` (current form only): the channel's users with an active chat session in it. */
import { createRoute } from "@hono/zod-openapi";
import { hal, halContent } from "../../http/hal";
import { errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";
import { listParticipants } from "../sessions/sessions.operations";
import { toUserPage } from "../users/users.present";
import { UserPage } from "../users/users.schemas";
import { CurrentChannelParams, MemberListQuery } from "./channels.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound } = errorResponses;

const listParticipantsRoute = createRoute({
  method: "get",
  path: "/channels/{channelId}/participants",
  summary: "A page of a channel's participants: its users watching it live (an active chat session), each once",
  description:
    "Any channel type, OPEN included. A user is a participant from their session's subscription to the channel's messages " +
    "until they unsubscribe, lose access, or their connection ends.",
  request: { params: CurrentChannelParams, query: MemberListQuery },
  responses: { 200: halContent(UserPage, "A page of users"), 400: badRequest, 401: unauthorized, 404: notFound },
});

export const currentParticipantRoutes = createRouter().openapi(listParticipantsRoute, async (c) => {
  const appId = c.var.auth.applicationId;
  const { channelId } = c.req.valid("param");
  const { rows, meta } = await listParticipants(c, appId, channelId, c.req.valid("query"));
  return hal(c, toUserPage(appId, rows, meta, c.req.url, c.var.links, c.var.links.currentChannelList(channelId, "participants")));
});
