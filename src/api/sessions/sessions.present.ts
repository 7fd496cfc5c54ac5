import type { ChatSessionRow, UserSessionRow } from "../../chat/queries/sessions";
import type { UserRow } from "../../chat/queries/users";
import { link } from "../../http/hal";
import type { Links } from "../../http/links";
import { type PageMetadata, pageLinks } from "../../http/pagination";
import { toEmbeddedUser } from "../users/users.present";
import type { ChatSessionPage, ChatSessionResource, UserSessionPage, UserSessionResource } from "./sessions.schemas";

const times = ({ createdAt, endedAt }: { createdAt: Date; endedAt: Date | null }) => ({
  state: endedAt ? ("ENDED" as const) : ("ACTIVE" as const),
  createdTime: createdAt.toISOString(),
  ...(endedAt ? { endTime: endedAt.toISOString() } : {}),
});

const toUserSessionProperties = (applicationId: number, session: Omit<UserSessionRow, "user">, user: UserRow, links: Links) => ({
  id: session.id,
  user: toEmbeddedUser(applicationId, user, links),
  ...times(session),
  ...(session.userAgent !== null ? { userAgent: session.userAgent } : {}),
});

export const toUserSessionResource = (applicationId: number, row: UserSessionRow, links: Links): UserSessionResource => ({
  ...toUserSessionProperties(applicationId, row, row.user, links),
  _links: {
    self: link(links.userSession(row.id)),
    user: link(links.user(applicationId, row.user.id)),
    application: link(links.application(applicationId)),
  },
});

const toChatSessionResource = (applicationId: number, row: ChatSessionRow, links: Links): ChatSessionResource => ({
  id: row.id,
  session: toUserSessionProperties(applicationId, row.session, row.user, links),
  ...times(row),
  _links: {
    session: link(links.userSession(row.session.id)),
    channel: link(links.channel(applicationId, row.channelId)),
    application: link(links.application(applicationId)),
  },
});

export const toUserSessionPage = (
  applicationId: number,
  rows: UserSessionRow[],
  meta: PageMetadata,
  requestUrl: string,
  links: Links,
): UserSessionPage => ({
  _embedded: { sessions: rows.map((row) => toUserSessionResource(applicationId, row, links)) },
  _links: pageLinks(links.userSessions(), requestUrl, meta),
  page: meta,
});

export const toChatSessionPage = (
  applicationId: number,
  rows: ChatSessionRow[],
  meta: PageMetadata,
  requestUrl: string,
  links: Links,
): ChatSessionPage => ({
  _embedded: { sessions: rows.map((row) => toChatSessionResource(applicationId, row, links)) },
  _links: pageLinks(links.chatSessions(), requestUrl, meta),
  page: meta,
});
