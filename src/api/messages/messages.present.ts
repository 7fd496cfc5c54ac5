import type { EphemeralMessage, EphemeralSender } from "../../chat/live";
import type { MessageExtras } from "../../chat/message-extras";
import type { ChannelRow } from "../../chat/queries/channels";
import type { MessageRow } from "../../chat/queries/messages";
import type { UserRow } from "../../chat/queries/users";
import type { StoredFile } from "../../db/schema";
import { cursorSlice, type CursorQuery, type KeptParams } from "../../http/cursor";
import { link } from "../../http/hal";
import type { Links } from "../../http/links";
import { pageLinks, type PageMetadata } from "../../http/pagination";
import { toEmbeddedUser } from "../users/users.present";
import type { MessageFile, MessagePage, MessageResource, ReadReceiptPage, ReplyThreadResource } from "./messages.schemas";

const TEXT_TYPES: ReadonlySet<string> = new Set(["TEXT", "SYSTEM_TEXT"]);
const FILE_TYPES: ReadonlySet<string> = new Set(["FILE", "SYSTEM_FILE"]);

/** A channel's message, and a reply to one (sent by the current SDK). */
const TOP_LEVEL = 0;
const REPLY = 1;

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

/**
 * A persisted message; `extras` (chat/message-extras.ts) when the caller looked them up, else none:
 * a message just sent has no reactions or replies yet.
 */
export const toMessageResource = (
  appId: number,
  m: MessageRow,
  links: Links,
  { reactions, repliesCount }: MessageExtras = { reactions: [], repliesCount: 0 },
): MessageResource => ({
  id: m.id,
  type: m.type,
  channelId: m.channelId,
  ...content(m.type, m.body, m.file, m.groupTag),
  ...(m.user ? { user: toEmbeddedUser(appId, m.user, links) } : {}),
  nestedLevel: m.parentId ? REPLY : TOP_LEVEL,
  reactions: reactions.map((r) => ({ emoji: r.emoji, users: r.users.map((u) => toEmbeddedUser(appId, u, links)), count: r.count })),
  repliesCount,
  properties: m.properties,
  createdTime: m.createdAt.toISOString(),
  ...(m.lastEditedAt ? { lastEditedTime: m.lastEditedAt.toISOString() } : {}),
  _links: { self: link(links.message(appId, m.id)), ...commonLinks(appId, m.channelId, m.userId, links) },
});

/** The sender an OPEN channel's room kept (flat, without custom data) as a user row. */
const senderRow = (u: EphemeralSender): UserRow => ({ ...u, displayPictureUrl: u.displayPictureUrl ?? null, properties: {} });

/** An open channel's message: no id and no self link, because it is not persisted; no custom data either. */
export const toEphemeralMessageResource = (appId: number, channelId: number, m: EphemeralMessage, links: Links): MessageResource => ({
  type: m.type,
  channelId,
  ...content(m.type, m.body, m.file, m.groupTag),
  ...(m.user ? { user: toEmbeddedUser(appId, senderRow(m.user), links) } : {}),
  nestedLevel: TOP_LEVEL,
  properties: {},
  createdTime: m.createdTime,
  _links: commonLinks(appId, channelId, m.user?.id, links),
});

export const toMessagePage = <T>(
  fetched: T[],
  query: CursorQuery,
  collectionHref: string,
  keyOf: (m: T) => number,
  present: (m: T) => MessageResource,
  kept?: KeptParams,
): MessagePage => {
  const { rows, links } = cursorSlice(fetched, query, collectionHref, keyOf, kept);
  return { _embedded: { messages: rows.map(present) }, _links: links, page: { size: rows.length } };
};

/** The thread a channel's messages are in: its MAIN thread, which shares the channel's id and creation. */
export const toMainThreadResource = (appId: number, channel: ChannelRow, links: Links): ReplyThreadResource => ({
  id: channel.id,
  type: "MAIN",
  createdTime: channel.createdAt.toISOString(),
  properties: {},
  _links: {
    self: link(links.thread(channel.id)),
    channel: link(links.channel(appId, channel.id)),
    application: link(links.application(appId)),
  },
});

interface ReadReceipt {
  user: UserRow;
  readAt: Date;
}

export const toReadReceiptPage = (
  appId: number,
  messageId: number,
  receipts: ReadReceipt[],
  meta: PageMetadata,
  collectionHref: string,
  requestUrl: string,
  links: Links,
): ReadReceiptPage => ({
  _embedded: {
    receipts: receipts.map(({ user, readAt }) => ({
      user: toEmbeddedUser(appId, user, links),
      createdTime: readAt.toISOString(),
      _links: {
        user: link(links.user(appId, user.id)),
        message: link(links.message(appId, messageId)),
        application: link(links.application(appId)),
      },
    })),
  },
  _links: pageLinks(collectionHref, requestUrl, meta),
  page: meta,
});
