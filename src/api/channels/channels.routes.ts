import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { createChannel } from "../../chat/channels";
import { clearRoom } from "../../chat/live";
import { channelNotFound } from "../../chat/errors";
import { deleteChannel, findChannel, listChannelsPage } from "../../chat/queries/channels";
import { drainFileDeletions } from "../../files/deletions";
import { requireMatch } from "../../http/conditional";
import type { AppEnv } from "../../env";
import { hal, halContent, halCreated } from "../../http/hal";
import { ApplicationParams, chatScope, requireOwnApplication } from "../../http/params";
import { pageMetadata, pageOffset } from "../../http/pagination";
import { createdContent, errorResponses, jsonBody } from "../../http/responses";
import { createRouter } from "../../http/router";
import { toApplicationResource } from "../applications/applications.present";
import { ApplicationResource } from "../applications/applications.schemas";
import { toChannelPage, toChannelResource } from "./channels.present";
import { ChannelListQuery, ChannelPage, ChannelParams, ChannelResource, CreateChannelBody } from "./channels.schemas";
import { resolveUserHrefs } from "./members.routes";

const { 400: badRequest, 401: unauthorized, 404: notFound, 415: unsupported } = errorResponses;

const createChannelRoute = createRoute({
  method: "post",
  path: "/applications/{applicationId}/channels",
  summary: "Create a channel",
  request: { params: ApplicationParams, body: jsonBody(CreateChannelBody) },
  responses: {
    200: halContent(ChannelResource, "The existing DIRECT channel of these members"),
    201: createdContent(ChannelResource, "The new channel"),
    400: badRequest,
    401: unauthorized,
    404: notFound,
    415: unsupported,
  },
});

const listChannelsRoute = createRoute({
  method: "get",
  path: "/applications/{applicationId}/channels",
  summary: "A page of channels, ascending id (find:channels filters by direct and members)",
  request: { params: ApplicationParams, query: ChannelListQuery },
  responses: { 200: halContent(ChannelPage, "A page of channels"), 400: badRequest, 401: unauthorized, 404: notFound },
});

const getChannelRoute = createRoute({
  method: "get",
  path: "/applications/{applicationId}/channels/{channelId}",
  summary: "A channel",
  request: { params: ChannelParams },
  responses: { 200: halContent(ChannelResource, "The channel"), 401: unauthorized, 404: notFound },
});

const deleteChannelRoute = createRoute({
  method: "delete",
  path: "/applications/{applicationId}/channels/{channelId}",
  summary: "Delete a channel with its messages and memberships",
  request: { params: ChannelParams },
  responses: { 200: halContent(ApplicationResource, "The application"), 401: unauthorized, 404: notFound },
});

/** The channel as GET answers it (404 when it does not exist). */
const channelResource = async (c: Context<AppEnv>, appId: number, channelId: number) => {
  const channel = await findChannel(c.var.db, appId, channelId);
  if (!channel) throw channelNotFound(channelId);
  return toChannelResource(appId, channel, c.var.links);
};

export const channelRoutes = createRouter()
  .openapi(createChannelRoute, async (c) => {
    const appId = requireOwnApplication(c.req.valid("param").applicationId, c.var.auth);
    const { type, name, members = [] } = c.req.valid("json");
    const memberIds = await resolveUserHrefs(c.var.db, appId, members, "members");
    // One set of users has one direct conversation: asking again returns it (200).
    const { channel, created } = await createChannel(chatScope(c, appId), { type, name, memberIds });
    const body = toChannelResource(appId, channel, c.var.links);
    return created ? halCreated(c, body, body._links.self.href) : hal(c, body);
  })
  .openapi(listChannelsRoute, async (c) => {
    const appId = requireOwnApplication(c.req.valid("param").applicationId, c.var.auth);
    const query = c.req.valid("query");
    const { rows, total } = await listChannelsPage(c.var.db, appId, pageOffset(query), query.size, {
      direct: query.direct,
      memberNames: query.members,
    });
    const meta = pageMetadata(query, total);
    return hal(c, toChannelPage(appId, rows, meta, c.var.links.channels(appId), c.req.url, c.var.links));
  })
  .openapi(getChannelRoute, async (c) => {
    const { applicationId, channelId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    return hal(c, await channelResource(c, appId, channelId));
  })
  .openapi(deleteChannelRoute, async (c) => {
    const { applicationId, channelId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    await requireMatch(c, () => channelResource(c, appId, channelId));
    const { deleted, app, fileDeletions } = await deleteChannel(c.var.db, appId, channelId);
    if (!deleted || !app) throw channelNotFound(channelId);
    // Committed: what follows is cleanup that never turns the answer into an error. R2 deletions
    // that fail are retried by the scheduled sweep; a room that cannot be told holds only shard
    // names and an OPEN channel's messages, which nothing can read without the channel.
    await Promise.all([clearRoom(c.env, appId, channelId), drainFileDeletions(c.env, fileDeletions)]);
    return hal(c, toApplicationResource(app, c.var.links));
  });
