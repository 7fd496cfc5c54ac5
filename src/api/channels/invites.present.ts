import type { InviteRow } from "../../chat/queries/invites";
import { link } from "../../http/hal";
import type { Links } from "../../http/links";
import { pageLinks, type PageMetadata } from "../../http/pagination";
import type { ChannelInvitePage, ChannelInviteResource } from "./invites.schemas";

export const toInviteResource = (applicationId: number, channelId: number, invite: InviteRow, links: Links): ChannelInviteResource => ({
  createdTime: invite.createdAt.toISOString(),
  _links: {
    invitee: link(links.user(applicationId, invite.userId)),
    channel: link(links.channel(applicationId, channelId)),
    application: link(links.application(applicationId)),
  },
});

export const toInvitePage = (
  applicationId: number,
  channelId: number,
  rows: InviteRow[],
  meta: PageMetadata,
  collectionHref: string,
  requestUrl: string,
  links: Links,
): ChannelInvitePage => ({
  _embedded: { invites: rows.map((invite) => toInviteResource(applicationId, channelId, invite, links)) },
  _links: pageLinks(collectionHref, requestUrl, meta),
  page: meta,
});
