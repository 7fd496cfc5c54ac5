import type { StoredFile } from "../../db/schema";
import type { EphemeralMessage } from "../../chat/live";
import type { MessageRow } from "../../chat/queries/messages";
import { cursorSlice, type CursorQuery } from "../../http/cursor";
import { link } from "../../http/hal";
import type { Links } from "../../http/links";
import type { MessageFile, MessagePage, MessageResource } from "./messages.schemas";

const TEXT_TYPES: ReadonlySet<string> = new Set(["TEXT", "SYSTEM_TEXT"]);
const FILE_TYPES: ReadonlySet<string> = new Set(["FILE", "SYSTEM_FILE"]);

/** A stored file as clients see it: the R2 key never leaves the server. */
const publicFile = ({ type, url, name, contentType, size }: StoredFile): MessageFile => ({ type, url, name, contentType, size });

/** `body` for text types, `file` for file types, `groupTag` when set: nothing else varies by type. */
const content = (
  type: string,
  body: string | null | undefined,
  file: StoredFile | null | undefined,
  groupTag: string | null | undefined,
) => ({
  ...(TEXT_TYPES.has(type) && body != null ? { body } : {}),
  ...(FILE_TYPES.has(type) && file ? { file: publicFile(file) } : {}),
  ...(groupTag != null ? { groupTag } : {}),
});

/** Links every message has; `user` only for messages sent by a user (TEXT, FILE). */
const commonLinks = (appId: number, channelId: number, userId: number | null | undefined, links: Links) => ({
  ...(userId ? { user: link(links.user(appId, userId)) } : {}),
  channel: link(links.channel(appId, channelId)),
  application: link(links.application(appId)),
});

export const toMessageResource = (appId: number, m: MessageRow, links: Links): MessageResource => ({
  id: m.id,
  type: m.type,
  ...content(m.type, m.body, m.file, m.groupTag),
  createdTime: m.createdAt.toISOString(),
  _links: { self: link(links.message(appId, m.id)), ...commonLinks(appId, m.channelId, m.userId, links) },
});

/** An open channel's message: no id and no self link, because it is not persisted. */
export const toEphemeralMessageResource = (appId: number, channelId: number, m: EphemeralMessage, links: Links): MessageResource => ({
  type: m.type,
  ...content(m.type, m.body, m.file, m.groupTag),
  createdTime: m.createdTime,
  _links: commonLinks(appId, channelId, m.user?.id, links),
});

export const toMessagePage = <T>(
  fetched: T[],
  query: CursorQuery,
  collectionHref: string,
  keyOf: (m: T) => number,
  present: (m: T) => MessageResource,
): MessagePage => {
  const { rows, links } = cursorSlice(fetched, query, collectionHref, keyOf);
  return { _embedded: { messages: rows.map(present) }, _links: links, page: { size: rows.length } };
};
