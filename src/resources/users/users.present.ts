import { link } from "../../http/hal";
import type { Links } from "../../http/links";
import { pageLinks, type PageMetadata } from "../../http/pagination";
import type { UserView } from "./users.queries";
import type { UserPage, UserResource } from "./users.schemas";

export const toUserResource = (applicationId: number, user: UserView, links: Links): UserResource => ({
  id: user.id,
  name: user.name,
  _links: {
    self: link(links.user(applicationId, user.id)),
    channels: link(links.userChannels(applicationId, user.id)),
    application: link(links.application(applicationId)),
  },
});

export const toUserPage = (
  applicationId: number,
  rows: UserView[],
  meta: PageMetadata,
  requestUrl: string,
  links: Links,
): UserPage => ({
  _embedded: { users: rows.map((u) => toUserResource(applicationId, u, links)) },
  _links: pageLinks(links.users(applicationId), requestUrl, meta),
  page: meta,
});
