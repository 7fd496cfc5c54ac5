import { link } from "../../http/hal";
import type { Links } from "../../http/links";
import { pageLinks, type PageMetadata } from "../../http/pagination";
import type { ChannelRow } from "../../chat/queries/channels";
import type { UserRow } from "../../chat/queries/users";
import { hasMembersList } from "../../chat/rules";
import { toEmbeddedUser } from "../users/users.present";
import type { ChannelPage, ChannelResource, MembershipPage, MembershipResource } from "./channels.schemas";

/** A channel with the users its representation embeds: its creator, and a DIRECT channel's members. */
export interface ChannelView {
  channel: ChannelRow;
  creator?: UserRow | undefined;
  members?: UserRow[] | undefined;
}

/** A channel with every field either form shows: one presenter for both forms. */
export const toChannelResource = (applicationId: number, { channel, creator, members }: ChannelView, links: Links): ChannelResource => {
  // "" is how the database says "no name".
  const name = channel.name !== "" ? channel.name : undefined;
  const displayName = channel.displayName ?? name;
  return {
    id: channel.id,
    type: channel.type,
    ...(name !== undefined ? { name } : {}),
    ...(displayName !== undefined ? { displayName } : {}),
    createdTime: channel.createdAt.toISOString(),
    properties: channel.properties,
    ...(creator ? { creator: toEmbeddedUser(applicationId, creator, links) } : {}),
    ...(channel.type === "DIRECT" ? { members: (members ?? []).map((m) => toEmbeddedUser(applicationId, m, links)) } : {}),
    _links: {
      self: link(links.channel(applicationId, channel.id)),
      messages: link(links.channelMessages(applicationId, channel.id)),
      ...(hasMembersList(channel.type) ? { members: link(links.channelMembers(applicationId, channel.id)) } : {}),
      application: link(links.application(applicationId)),
    },
  };
};

/** A numbered page of channels; `collectionHref` is the list being paged (the app's, or a user's). */
export const toChannelPage = (
  applicationId: number,
  views: ChannelView[],
  meta: PageMetadata,
  collectionHref: string,
  requestUrl: string,
  links: Links,
): ChannelPage => ({
  _embedded: { channels: views.map((view) => toChannelResource(applicationId, view, links)) },
  _links: pageLinks(collectionHref, requestUrl, meta),
  page: meta,
});

/** When a user joined a channel (ChatKitty's `ChannelMembershipResource`). */
const toMembershipResource = (
  applicationId: number,
  channelId: number,
  membership: { userId: number; createdAt: Date },
  links: Links,
): MembershipResource => ({
  createdTime: membership.createdAt.toISOString(),
  _links: {
    user: link(links.user(applicationId, membership.userId)),
    channel: link(links.channel(applicationId, channelId)),
    member: link(links.channelMember(applicationId, channelId, membership.userId)),
    application: link(links.application(applicationId)),
  },
});

export const toMembershipPage = (
  applicationId: number,
  channelId: number,
  rows: { userId: number; createdAt: Date }[],
  meta: PageMetadata,
  collectionHref: string,
  requestUrl: string,
  links: Links,
): MembershipPage => ({
  _embedded: { memberships: rows.map((m) => toMembershipResource(applicationId, channelId, m, links)) },
  _links: pageLinks(collectionHref, requestUrl, meta),
  page: meta,
});
