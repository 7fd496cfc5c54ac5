import { link } from "../../http/hal";
import type { Links } from "../../http/links";
import { pageLinks, type PageMetadata } from "../../http/pagination";
import type { ChannelRow } from "../../chat/queries/channels";
import { hasMembersList } from "../../chat/rules";
import type { ChannelPage, ChannelResource } from "./channels.schemas";

type ChannelView = Pick<ChannelRow, "id" | "type" | "name">;

export const toChannelResource = (applicationId: number, channel: ChannelView, links: Links): ChannelResource => ({
  id: channel.id,
  type: channel.type,
  // "" is how the database says "no name".
  ...(channel.name !== "" ? { name: channel.name } : {}),
  _links: {
    self: link(links.channel(applicationId, channel.id)),
    messages: link(links.channelMessages(applicationId, channel.id)),
    ...(hasMembersList(channel.type) ? { members: link(links.channelMembers(applicationId, channel.id)) } : {}),
    application: link(links.application(applicationId)),
  },
});

/** A numbered page of channels; `collectionHref` is the list being paged (the app's, or a user's). */
export const toChannelPage = (
  applicationId: number,
  rows: ChannelView[],
  meta: PageMetadata,
  collectionHref: string,
  requestUrl: string,
  links: Links,
): ChannelPage => ({
  _embedded: { channels: rows.map((ch) => toChannelResource(applicationId, ch, links)) },
  _links: pageLinks(collectionHref, requestUrl, meta),
  page: meta,
});
