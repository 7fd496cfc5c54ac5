import { link } from "../../http/hal";
import type { Links } from "../../http/links";
import { pageLinks, type PageMetadata } from "../../http/pagination";
import type { UserRow } from "../../chat/queries/users";
import { defaultPictureUrl } from "./display-picture";
import type { UserPage, UserResource } from "./users.schemas";

/**
 * Presence as the Platform API reports it. Live presence is the chat sessions' (their Durable
 * Objects know it); the API does not ask them per user, so it reports every user as ChatKitty
 * reports one without a live session.
 */
const OFFLINE = { status: "UNAVAILABLE", online: false } as const;

/**
 * A user with every field either form shows (ChatKitty's `ChatUserResource`, plus the 2020 `tokens`
 * link): one presenter for both forms, whose clients each ignore the fields they do not know.
 */
export const toUserResource = (applicationId: number, user: UserRow, links: Links): UserResource => {
  const displayName = user.displayName ?? user.name;
  return {
    id: user.id,
    type: "PERSON",
    name: user.name,
    displayName,
    displayPictureUrl: user.displayPictureUrl ?? defaultPictureUrl(user.name, displayName),
    isGuest: user.isGuest,
    presence: OFFLINE,
    properties: user.properties,
    _links: {
      self: link(links.user(applicationId, user.id)),
      channels: link(links.userChannels(applicationId, user.id)),
      tokens: link(links.userTokens(applicationId, user.id)),
      application: link(links.application(applicationId)),
    },
  };
};

/** A user as other resources embed it (ChatKitty's `ChatUserProperties`): the resource without its links. */
export const toEmbeddedUser = (applicationId: number, user: UserRow, links: Links) => {
  const { _links: _, ...fields } = toUserResource(applicationId, user, links);
  return fields;
};

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
