/**
 * `GET /v1/application/message-read-receipt-summaries` (chatkitty@2.106.8 only; not in ChatKitty's
 * 2.41.9 document, shape from the SDK's `MessageReadReceiptSummaryResource`): for each membership
 * with unread messages, the channel, the member and how many messages they have not read.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { listUnreadSummariesPage } from "../../chat/queries/unread-summaries";
import { hal, halContent, halLinks, link } from "../../http/hal";
import { CurrentPageQuery, numberedPage, pageLinks, pageMetadata, pageOffset } from "../../http/pagination";
import { errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";
import { viewChannels } from "../channels/channels.operations";
import { toChannelResource } from "../channels/channels.present";
import { ChannelResource } from "../channels/channels.schemas";
import { toEmbeddedUser } from "../users/users.present";
import { EmbeddedUser } from "../users/users.schemas";

const { 400: badRequest, 401: unauthorized } = errorResponses;

const UnreadSummary = z
  .object({
    channel: ChannelResource,
    user: EmbeddedUser,
    count: z.number().int().positive().openapi({ description: "Messages of the channel the member has not read, sent by others" }),
    _links: halLinks(["user", "channel", "application"]),
  })
  .openapi("MessageReadReceiptSummaryResource");

const UnreadSummaryPage = numberedPage("summaries", UnreadSummary).openapi("MessageReadReceiptSummaryPage");

const listRoute = createRoute({
  method: "get",
  path: "/application/message-read-receipt-summaries",
  summary: "Per member of each channel, how many messages they have not read (only memberships with unread messages)",
  description: "Unread as in a user's unread messages: past the member's read marker, sent by someone else. Ordered by channel, then user.",
  request: { query: CurrentPageQuery },
  responses: { 200: halContent(UnreadSummaryPage, "A page of summaries"), 400: badRequest, 401: unauthorized },
});

export const currentUnreadSummaryRoutes = createRouter().openapi(listRoute, async (c) => {
  const appId = c.var.auth.applicationId;
  const query = c.req.valid("query");
  const { links } = c.var;
  const { summaries, total } = await listUnreadSummariesPage(c.var.db, appId, pageOffset(query), query.size);
  const views = new Map((await viewChannels(c, appId, [...new Set(summaries.map((s) => s.channel))])).map((v) => [v.channel.id, v]));
  const meta = pageMetadata(query, total);
  return hal(c, {
    _embedded: {
      summaries: summaries.map(({ channel, user, count }) => ({
        channel: toChannelResource(appId, views.get(channel.id) ?? { channel }, links),
        user: toEmbeddedUser(appId, user, links),
        count,
        _links: {
          user: link(links.user(appId, user.id)),
          channel: link(links.channel(appId, channel.id)),
          application: link(links.application(appId)),
        },
      })),
    },
    _links: pageLinks(links.currentUnreadSummaries(), c.req.url, meta),
    page: meta,
  });
});
