/**
 * Channels in the current (token-scoped) form, `/v1/channels/…`: the application is the token's.
 * Each handler reads its request, calls the operation the 2020 routes call
 * (channels.operations.ts) and presents the channel with the one presenter. What differs from the
 * 2020 form: no OPEN channels in lists or creates (ChatKitty's document has none; a GET by id
 * still shows one), PUBLIC and PRIVATE channels created without a name get a UUID (ChatKitty's
 * schema requires `name`), members are named by `{id}` or `{username}`, and pages default to 25.
 */
import { createRoute } from "@hono/zod-openapi";
import { LISTED_IN_CURRENT_FORM } from "../../chat/rules";
import { hal, halContent, halCreated } from "../../http/hal";
import { createdContent, currentJsonBody, errorResponses, mergePatchBody } from "../../http/responses";
import { createRouter } from "../../http/router";
import { toApplicationResource } from "../applications/applications.present";
import { ApplicationResource } from "../applications/applications.schemas";
import { toUserPage, toUserResource } from "../users/users.present";
import { UserPage, UserResource } from "../users/users.schemas";
import {
  addMemberTo,
  addModeratorTo,
  createChannel,
  listChannels,
  listMembers,
  listMemberships,
  loadChannel,
  patchChannel,
  removeChannel,
  removeMemberFrom,
  removeModeratorFrom,
  viewChannel,
} from "./channels.operations";
import { toChannelPage, toChannelResource, toMembershipPage } from "./channels.present";
import {
  ChannelMergePatch,
  ChannelPage,
  ChannelResource,
  CurrentAddMemberBody,
  CurrentChannelListQuery,
  CurrentChannelParams,
  CurrentCreateChannelBody,
  CurrentMemberParams,
  MemberListQuery,
  MembershipListQuery,
  MembershipPage,
} from "./channels.schemas";

const { 400: badRequest, 401: unauthorized, 404: notFound, 415: unsupported } = errorResponses;
const noMembersList = { ...notFound, description: "No such channel, or an OPEN one (no members list)" };

const createChannelRoute = createRoute({
  method: "post",
  path: "/channels",
  summary: "Create a PUBLIC, PRIVATE or DIRECT channel",
  description:
    'Members and creator are named by {"id": …} or {"username": …} (a self href also works); the creator becomes a member. ' +
    "PUBLIC and PRIVATE channels without a name get a UUID; displayName defaults to the name. " +
    "A DIRECT channel of a set of users that already has one is that channel (200).",
  request: { body: currentJsonBody(CurrentCreateChannelBody) },
  responses: {
    200: halContent(ChannelResource, "The existing DIRECT channel of these members"),
    201: createdContent(ChannelResource, "The new channel"),
    400: badRequest,
    401: unauthorized,
    415: unsupported,
  },
});

const listChannelsRoute = createRoute({
  method: "get",
  path: "/channels",
  summary:
    "A page of PUBLIC, PRIVATE and DIRECT channels (ascending id unless sorted), filtered by type, members, creation time or properties",
  request: { query: CurrentChannelListQuery },
  responses: { 200: halContent(ChannelPage, "A page of channels"), 400: badRequest, 401: unauthorized },
});

const getChannelRoute = createRoute({
  method: "get",
  path: "/channels/{channelId}",
  summary: "A channel (an OPEN one too, with type OPEN)",
  request: { params: CurrentChannelParams },
  responses: { 200: halContent(ChannelResource, "The channel"), 401: unauthorized, 404: notFound },
});

const patchChannelRoute = createRoute({
  method: "patch",
  path: "/channels/{channelId}",
  summary: "Change a channel's displayName and properties with a JSON merge patch (RFC 7396): null removes, properties merge key by key",
  request: { params: CurrentChannelParams, body: mergePatchBody(ChannelMergePatch) },
  responses: {
    200: halContent(ChannelResource, "The channel"),
    400: { ...badRequest, description: "An invalid member, or a different id, type or name (none can change)" },
    401: unauthorized,
    404: notFound,
    415: unsupported,
  },
});

const deleteChannelRoute = createRoute({
  method: "delete",
  path: "/channels/{channelId}",
  summary: "Delete a channel with its messages and memberships",
  request: { params: CurrentChannelParams },
  responses: { 200: halContent(ApplicationResource, "The application"), 401: unauthorized, 404: notFound },
});

const listMembersRoute = createRoute({
  method: "get",
  path: "/channels/{channelId}/members",
  summary: "A page of a channel's members",
  request: { params: CurrentChannelParams, query: MemberListQuery },
  responses: { 200: halContent(UserPage, "A page of users"), 400: badRequest, 401: unauthorized, 404: noMembersList },
});

const addMemberRoute = createRoute({
  method: "post",
  path: "/channels/{channelId}/members",
  summary: "Add a user to a PUBLIC or PRIVATE channel (already a member: no change)",
  request: { params: CurrentChannelParams, body: currentJsonBody(CurrentAddMemberBody) },
  responses: {
    200: halContent(ChannelResource, "The channel"),
    400: { ...badRequest, description: "No such user, or a DIRECT channel (its members never change)" },
    401: unauthorized,
    404: noMembersList,
    415: unsupported,
  },
});

const removeMemberRoute = createRoute({
  method: "delete",
  path: "/channels/{channelId}/members/{userId}",
  summary: "Remove a member (and their moderator role) from a PUBLIC or PRIVATE channel",
  request: { params: CurrentMemberParams },
  responses: { 200: halContent(ChannelResource, "The channel"), 400: badRequest, 401: unauthorized, 404: notFound },
});

const listMembershipsRoute = createRoute({
  method: "get",
  path: "/channels/{channelId}/memberships",
  summary: "A page of a channel's memberships: when each member joined (in that order unless sort=createdTime,desc)",
  request: { params: CurrentChannelParams, query: MembershipListQuery },
  responses: { 200: halContent(MembershipPage, "A page of memberships"), 400: badRequest, 401: unauthorized, 404: noMembersList },
});

const listModeratorsRoute = createRoute({
  method: "get",
  path: "/channels/{channelId}/moderators",
  summary: "A page of a channel's moderators",
  request: { params: CurrentChannelParams, query: MemberListQuery },
  responses: { 200: halContent(UserPage, "A page of users"), 400: badRequest, 401: unauthorized, 404: noMembersList },
});

const addModeratorRoute = createRoute({
  method: "post",
  path: "/channels/{channelId}/moderators",
  summary: "Make a user a moderator; a user who is not a member of a PUBLIC or PRIVATE channel becomes one",
  request: { params: CurrentChannelParams, body: currentJsonBody(CurrentAddMemberBody) },
  responses: {
    200: halContent(UserResource, "The moderator"),
    400: { ...badRequest, description: "No such user, or not a member of a DIRECT channel (its members never change)" },
    401: unauthorized,
    404: noMembersList,
    415: unsupported,
  },
});

const removeModeratorRoute = createRoute({
  method: "delete",
  path: "/channels/{channelId}/moderators/{userId}",
  summary: "End a moderator's role (they stay a member)",
  request: { params: CurrentMemberParams },
  responses: { 200: halContent(ChannelResource, "The channel"), 401: unauthorized, 404: notFound },
});

export const currentChannelRoutes = createRouter()
  .openapi(createChannelRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const body = c.req.valid("json");
    const name = body.name ?? (body.type === "DIRECT" ? undefined : crypto.randomUUID());
    const { view, created } = await createChannel(c, appId, { ...body, name });
    const resource = toChannelResource(appId, view, c.var.links);
    return created ? halCreated(c, resource, resource._links.self.href) : hal(c, resource);
  })
  .openapi(listChannelsRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { type, members, startTime, endTime, properties, sort, ...page } = c.req.valid("query");
    const { views, meta } = await listChannels(c, appId, page, {
      types: type ? [type] : LISTED_IN_CURRENT_FORM,
      memberNames: members,
      onlyThoseMembers: type === "DIRECT",
      createdFrom: startTime,
      createdTo: endTime,
      properties,
      sort,
    });
    return hal(c, toChannelPage(appId, views, meta, c.var.links.currentChannels(), c.req.url, c.var.links));
  })
  .openapi(getChannelRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const channel = await loadChannel(c, appId, c.req.valid("param").channelId);
    return hal(c, toChannelResource(appId, await viewChannel(c, appId, channel), c.var.links));
  })
  .openapi(patchChannelRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const view = await patchChannel(c, appId, c.req.valid("param").channelId, c.req.valid("json"));
    return hal(c, toChannelResource(appId, view, c.var.links));
  })
  .openapi(deleteChannelRoute, async (c) =>
    hal(c, toApplicationResource(await removeChannel(c, c.var.auth.applicationId, c.req.valid("param").channelId), c.var.links)),
  )
  .openapi(listMembersRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { channelId } = c.req.valid("param");
    const { sort, ...page } = c.req.valid("query");
    const { rows, meta } = await listMembers(c, appId, channelId, page, { sort });
    return hal(c, toUserPage(appId, rows, meta, c.req.url, c.var.links, c.var.links.currentChannelList(channelId, "members")));
  })
  .openapi(addMemberRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const view = await addMemberTo(c, appId, c.req.valid("param").channelId, c.req.valid("json"));
    return hal(c, toChannelResource(appId, view, c.var.links));
  })
  .openapi(removeMemberRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { channelId, userId } = c.req.valid("param");
    return hal(c, toChannelResource(appId, await removeMemberFrom(c, appId, channelId, userId), c.var.links));
  })
  .openapi(listMembershipsRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { channelId } = c.req.valid("param");
    const { sort, ...page } = c.req.valid("query");
    const { rows, meta } = await listMemberships(c, appId, channelId, page, sort?.[0]?.descending ?? false);
    const href = c.var.links.currentChannelList(channelId, "memberships");
    return hal(c, toMembershipPage(appId, channelId, rows, meta, href, c.req.url, c.var.links));
  })
  .openapi(listModeratorsRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { channelId } = c.req.valid("param");
    const { sort, ...page } = c.req.valid("query");
    const { rows, meta } = await listMembers(c, appId, channelId, page, { sort, moderatorsOnly: true });
    return hal(c, toUserPage(appId, rows, meta, c.req.url, c.var.links, c.var.links.currentChannelList(channelId, "moderators")));
  })
  .openapi(addModeratorRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const user = await addModeratorTo(c, appId, c.req.valid("param").channelId, c.req.valid("json"));
    return hal(c, toUserResource(appId, user, c.var.links));
  })
  .openapi(removeModeratorRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { channelId, userId } = c.req.valid("param");
    return hal(c, toChannelResource(appId, await removeModeratorFrom(c, appId, channelId, userId), c.var.links));
  });
