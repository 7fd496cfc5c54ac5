import { link } from "../../http/hal";
import type { Links } from "../../http/links";
import { pageLinks, type PageMetadata } from "../../http/pagination";
import type { UserRow } from "../../chat/queries/users";
import type { UserPage, UserResource } from "./users.schemas";

export const toUserResource = (applicationId: number, user: UserRow, links: Links): UserResource => ({
  id: user.id,
  name: user.name,
  displayName: user.displayName ?? user.name,
  isGuest: user.isGuest,
  _links: {
    self: link(links.user(applicationId, user.id)),
    channels: link(links.userChannels(applicationId, user.id)),
    tokens: link(links.userTokens(applicationId, user.id)),
    application: link(links.application(applicationId)),
  },
});

/** A numbered page of users; `collectionHref` is the list being paged (the app's, or a channel's members). */
export const toUserPage = (
  applicationId: number,
  rows: UserRow[],
  meta: PageMetadata,
  requestUrl: string,
  links: Links,
  collectionHref = links.users(applicationId),
): UserPage => ({
  _embedded: { users: rows.map((u) => toUserResource(applicationId, u, links)) },
  _links: pageLinks(collectionHref, requestUrl, meta),
  page: meta,
});
