/**
 * A group channel's members (`members` link of PUBLIC, PRIVATE and DIRECT channels). OPEN
 * channels have no members list (404 here); a DIRECT channel's members are fixed at creation (400).
 */
import { createRoute } from "@hono/zod-openapi";
import type { Db } from "../../db/client";
import { ApiError } from "../../http/errors";
import { hal, halContent } from "../../http/hal";
import { userIdFromHref } from "../../http/links";
import { requireOwnApplication } from "../../http/params";
import { PageQuery, pageMetadata, pageOffset } from "../../http/pagination";
import { errorResponses, jsonBody } from "../../http/responses";
import { createRouter } from "../../http/router";
import { membershipEnded } from "../../chat/live-access";
import { toUserPage } from "../users/users.present";
import { UserPage } from "../users/users.schemas";
import { toChannelResource } from "./channels.present";
import { findChannel } from "../../chat/queries/channels";
import { addMember, listMembersPage, removeMember } from "../../chat/queries/members";
import { existingUserIds } from "../../chat/queries/users";
import { hasFixedMembers, hasMembersList } from "../../chat/rules";
import { AddMemberBody, ChannelParams, ChannelResource, MemberParams } from "./channels.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound, 415: unsupported } = errorResponses;

/**
 * The ids of users named by their self hrefs; 400 naming `field` unless every one is a user of
 * this application.
 */
export const resolveUserHrefs = async (db: Db, applicationId: number, hrefs: string[], field: string) => {
  const ids = hrefs.map((href) => userIdFromHref(href, applicationId));
  const known = new Set(
    await existingUserIds(
      db,
      applicationId,
      ids.filter((id): id is number => id !== undefined),
    ),
  );
  const unknown = hrefs.filter((_, i) => !known.has(ids[i]!));
  if (unknown.length > 0) {
    const message = `${field} must be users of this application: ${unknown.slice(0, 3).join(", ")}`;
    throw new ApiError("InvalidRequestError", message, { [field]: "not a user of this application" });
  }
  return [...new Set(ids as number[])];
};

const groupChannel = async (db: Db, appId: number, channelId: number) => {
  const channel = await findChannel(db, appId, channelId);
  if (!channel || !hasMembersList(channel.type)) {
    throw new ApiError("ResourceNotFoundError", `Channel ${channelId} has no members list`);
  }
  return channel;
};

const fixedMembers = (channelId: number) =>
  new ApiError("InvalidRequestError", `Channel ${channelId} is a DIRECT channel: its members cannot change`);

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
    const query = c.req.valid("query");
    await groupChannel(c.var.db, appId, channelId);
    const { rows, total } = await listMembersPage(c.var.db, appId, channelId, pageOffset(query), query.size);
    const meta = pageMetadata(query, total);
    return hal(c, toUserPage(appId, rows, meta, c.req.url, c.var.links, c.var.links.channelMembers(appId, channelId)));
  })
  .openapi(addMemberRoute, async (c) => {
    const { applicationId, channelId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    const channel = await groupChannel(c.var.db, appId, channelId);
    if (hasFixedMembers(channel.type)) throw fixedMembers(channelId);
    const [userId] = await resolveUserHrefs(c.var.db, appId, [c.req.valid("json").href], "href");
    await addMember(c.var.db, appId, channelId, userId!);
    return hal(c, toChannelResource(appId, channel, c.var.links));
  })
  .openapi(removeMemberRoute, async (c) => {
    const { applicationId, channelId, userId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    const channel = await groupChannel(c.var.db, appId, channelId);
    if (hasFixedMembers(channel.type)) throw fixedMembers(channelId);
    const removed = await removeMember(c.var.db, appId, channelId, userId);
    if (!removed) throw new ApiError("ResourceNotFoundError", `User ${userId} is not a member of channel ${channelId}`);
    await membershipEnded(c.env, appId, removed, channel);
    return hal(c, toChannelResource(appId, channel, c.var.links));
  });
