/**
 * A group channel's members (`members` link of PUBLIC, PRIVATE and DIRECT channels), 2020 form.
 * OPEN channels have no members list (404 here); a DIRECT channel's members are fixed at creation
 * (400). The work is channels.operations.ts's, shared with the current form.
 */
import { createRoute } from "@hono/zod-openapi";
import { hal, halContent } from "../../http/hal";
import { requireOwnApplication } from "../../http/params";
import { PageQuery } from "../../http/pagination";
import { errorResponses, jsonBody } from "../../http/responses";
import { createRouter } from "../../http/router";
import { toUserPage } from "../users/users.present";
import { UserPage } from "../users/users.schemas";
import { addMemberTo, listMembers, removeMemberFrom } from "./channels.operations";
import { toChannelResource } from "./channels.present";
import { AddMemberBody, ChannelParams, ChannelResource, MemberParams } from "./channels.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound, 415: unsupported } = errorResponses;

const listMembersRoute = createRoute({
  method: "get",
  path: "/applications/{applicationId}/channels/{channelId}/members",
  summary: "A page of a group channel's members",
  request: { params: ChannelParams, query: PageQuery },
  responses: { 200: halContent(UserPage, "A page of users"), 400: badRequest, 401: unauthorized, 404: notFound },
});

const addMemberRoute = createRoute({
  method: "post",
  path: "/applications/{applicationId}/channels/{channelId}/members",
  summary: "Add a user to a PUBLIC or PRIVATE channel (already a member: no change)",
  description: 'The user is named by {"href": self href}, {"id": …} or {"username": …}.',
  request: { params: ChannelParams, body: jsonBody(AddMemberBody) },
  responses: {
    200: halContent(ChannelResource, "The channel"),
    400: badRequest,
    401: unauthorized,
    404: notFound,
    415: unsupported,
  },
});

const removeMemberRoute = createRoute({
  method: "delete",
  path: "/applications/{applicationId}/channels/{channelId}/members/{userId}",
  summary: "Remove a member from a PUBLIC or PRIVATE channel",
  request: { params: MemberParams },
  responses: { 200: halContent(ChannelResource, "The channel"), 400: badRequest, 401: unauthorized, 404: notFound },
});

export const memberRoutes = createRouter()
  .openapi(listMembersRoute, async (c) => {
    const { applicationId, channelId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    const { rows, meta } = await listMembers(c, appId, channelId, c.req.valid("query"));
    return hal(c, toUserPage(appId, rows, meta, c.req.url, c.var.links, c.var.links.channelMembers(appId, channelId)));
  })
  .openapi(addMemberRoute, async (c) => {
    const { applicationId, channelId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    return hal(c, toChannelResource(appId, await addMemberTo(c, appId, channelId, c.req.valid("json")), c.var.links));
  })
  .openapi(removeMemberRoute, async (c) => {
    const { applicationId, channelId, userId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    return hal(c, toChannelResource(appId, await removeMemberFrom(c, appId, channelId, userId), c.var.links));
  });
