import { createRoute } from "@hono/zod-openapi";
import { hal, halContent, halCreated } from "../../http/hal";
import { ApplicationParams, requireOwnApplication } from "../../http/params";
import { createdContent, errorResponses, jsonBody } from "../../http/responses";
import { createRouter } from "../../http/router";
import { toApplicationResource } from "../applications/applications.present";
import { ApplicationResource } from "../applications/applications.schemas";
import { createChannel, listChannels, loadChannel, removeChannel, viewChannel } from "./channels.operations";
import { toChannelPage, toChannelResource } from "./channels.present";
import { ChannelListQuery, ChannelPage, ChannelParams, ChannelResource, CreateChannelBody } from "./channels.schemas";

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

export const channelRoutes = createRouter()
  .openapi(createChannelRoute, async (c) => {
    const appId = requireOwnApplication(c.req.valid("param").applicationId, c.var.auth);
    // One set of users has one direct conversation: asking again returns it (200).
    const { view, created } = await createChannel(c, appId, c.req.valid("json"));
    const body = toChannelResource(appId, view, c.var.links);
    return created ? halCreated(c, body, body._links.self.href) : hal(c, body);
  })
  .openapi(listChannelsRoute, async (c) => {
    const appId = requireOwnApplication(c.req.valid("param").applicationId, c.var.auth);
    const query = c.req.valid("query");
    const { views, meta } = await listChannels(c, appId, query, { direct: query.direct, memberNames: query.members });
    return hal(c, toChannelPage(appId, views, meta, c.var.links.channels(appId), c.req.url, c.var.links));
  })
  .openapi(getChannelRoute, async (c) => {
    const { applicationId, channelId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    return hal(c, toChannelResource(appId, await viewChannel(c, appId, await loadChannel(c, appId, channelId)), c.var.links));
  })
  .openapi(deleteChannelRoute, async (c) => {
    const { applicationId, channelId } = c.req.valid("param");
    const appId = requireOwnApplication(applicationId, c.var.auth);
    return hal(c, toApplicationResource(await removeChannel(c, appId, channelId), c.var.links));
  });
