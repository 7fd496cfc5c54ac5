/**
 * A channel's invites in the current form (no 2020 twin), `/v1/channels/{id}/invites`: pending
 * invitations to a PRIVATE channel. Rules in invites.operations.ts.
 */
import { createRoute } from "@hono/zod-openapi";
import { hal, halContent } from "../../http/hal";
import { currentJsonBody, errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";
import { CurrentChannelParams } from "./channels.schemas";
import { inviteToChannel, listInvites } from "./invites.operations";
import { toInvitePage, toInviteResource } from "./invites.present";
import { ChannelInvitePage, ChannelInviteResource, CreateChannelInviteBody, InviteListQuery } from "./invites.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound, 415: unsupported } = errorResponses;

const listInvitesRoute = createRoute({
  method: "get",
  path: "/channels/{channelId}/invites",
  summary: "A page of a channel's pending invites, oldest first unless sort=createdTime,desc",
  description: "Only PRIVATE channels have invites; an invite is gone once its user joins the channel.",
  request: { params: CurrentChannelParams, query: InviteListQuery },
  responses: { 200: halContent(ChannelInvitePage, "A page of invites"), 400: badRequest, 401: unauthorized, 404: notFound },
});

const sendInviteRoute = createRoute({
  method: "post",
  path: "/channels/{channelId}/invites",
  summary: "Invite a user, named by {id} or {username}, to a PRIVATE channel (already invited: that invite)",
  description: "The invite is accepted when the user joins the channel (today: added as a member through this API).",
  request: { params: CurrentChannelParams, body: currentJsonBody(CreateChannelInviteBody) },
  responses: {
    200: halContent(ChannelInviteResource, "The invite"),
    400: { ...badRequest, description: "No such user, a member already, or not a PRIVATE channel" },
    401: unauthorized,
    404: notFound,
    415: unsupported,
  },
});

export const currentInviteRoutes = createRouter()
  .openapi(listInvitesRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { channelId } = c.req.valid("param");
    const { sort, ...page } = c.req.valid("query");
    const { rows, meta } = await listInvites(c, appId, channelId, page, sort?.[0]?.descending ?? false);
    const href = c.var.links.currentChannelList(channelId, "invites");
    return hal(c, toInvitePage(appId, channelId, rows, meta, href, c.req.url, c.var.links));
  })
  .openapi(sendInviteRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { channelId } = c.req.valid("param");
    const invite = await inviteToChannel(c, appId, channelId, c.req.valid("json").user);
    return hal(c, toInviteResource(appId, channelId, invite, c.var.links));
  });
