import { link } from "../../http/hal";
import type { Links } from "../../http/links";
import { pageLinks, type PageMetadata } from "../../http/pagination";
import type { TokenView } from "../../chat/queries/user-tokens";
import type { TokenPage, TokenResource } from "./tokens.schemas";

export const toTokenResource = (applicationId: number, userId: number, token: TokenView, links: Links): TokenResource => ({
  token: token.token,
  createdTime: token.createdAt.toISOString(),
  _links: {
    self: link(links.userToken(applicationId, userId, token.token)),
    user: link(links.user(applicationId, userId)),
  },
});

export const toTokenPage = (
  applicationId: number,
  userId: number,
  rows: TokenView[],
  meta: PageMetadata,
  requestUrl: string,
  links: Links,
): TokenPage => ({
  _embedded: { tokens: rows.map((t) => toTokenResource(applicationId, userId, t, links)) },
  _links: pageLinks(links.userTokens(applicationId, userId), requestUrl, meta),
  page: meta,
});
