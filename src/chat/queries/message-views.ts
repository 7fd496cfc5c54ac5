/**
 * Persisted messages as one user (the viewer) sees them: only in channels they may see, and never
 * those they deleted for themselves, those up to their cleared-history mark, or those sent by a
 * user they blocked. Messages deleted for everyone are gone from D1, so every count here is live.
 */
import { and, count, eq, inArray, isNull, type SQL, sql } from "drizzle-orm";
import { chunked, MAX_BOUND_PARAMETERS } from "../../db/chunks";
import type { Db } from "../../db/client";
import { channelMembers, channels, messageHides, messages, userBlocks, users } from "../../db/schema";
import { OPEN_TO_ALL } from "../rules";
import { channelColumns, type ChannelRow } from "./channels";
import { isMemberSql } from "./members";
import { inApplicationSql, type MessageRow, messageColumns, messagesPage, unreadBySql } from "./messages";
import { userColumns } from "./users";

// Each condition is a correlated lookup by primary key or index, so a page stays O(page size).
const inVisibleChannelSql = (viewerId: number) =>
  sql`exists (select 1 from ${channels} where ${channels.id} = ${messages.channelId}
    and (${inArray(channels.type, [...OPEN_TO_ALL])} or ${isMemberSql(viewerId)}))`;

const notHiddenSql = (viewerId: number) =>
  sql`not exists (select 1 from ${messageHides} where ${messageHides.userId} = ${viewerId} and ${messageHides.messageId} = ${messages.id})`;

const afterClearedHistorySql = (viewerId: number) =>
  sql`${messages.id} > coalesce((select ${channelMembers.clearedThroughId} from ${channelMembers}
    where ${channelMembers.channelId} = ${messages.channelId} and ${channelMembers.userId} = ${viewerId}), 0)`;

const notFromBlockedSql = (viewerId: number) =>
  sql`(${messages.userId} is null or not exists (select 1 from ${userBlocks}
    where ${userBlocks.userId} = ${viewerId} and ${userBlocks.blockedUserId} = ${messages.userId}))`;

/** SQL: the application's message at hand (picked by a narrower key: `inApplicationSql`) is one the viewer sees. */
export const visibleToSql = (applicationId: number, viewerId: number, { includeHidden = false } = {}) =>
  and(
    inApplicationSql(applicationId),
    inVisibleChannelSql(viewerId),
    includeHidden ? undefined : notHiddenSql(viewerId),
    afterClearedHistorySql(viewerId),
    notFromBlockedSql(viewerId),
  );

/** A message as the viewer sees it, with its channel and the viewer's standing there. */
export interface ViewedMessage {
  message: MessageRow;
  channel: ChannelRow;
  isMember: boolean;
  isModerator: boolean;
}

/**
 * The message if the viewer sees it, in one statement; `includeHidden` also finds one they deleted
 * for themselves (so that deleting it again is answered the same way).
 */
export const findMessageForViewer = async (
  db: Db,
  applicationId: number,
  viewerId: number,
  messageId: number,
  options: { includeHidden?: boolean } = {},
): Promise<ViewedMessage | undefined> => {
  // A single statement: D1 returns its rows as arrays, so the joins' duplicate names are harmless.
  const row = await db
    .select({
      ...messageColumns,
      user: userColumns,
      channel: channelColumns,
      isMember: sql<boolean>`${isMemberSql(viewerId)}`.mapWith(Boolean),
      isModerator: sql<boolean>`coalesce((select ${channelMembers.isModerator} from ${channelMembers}
        where ${channelMembers.channelId} = ${channels.id} and ${channelMembers.userId} = ${viewerId}), 0)`.mapWith(Boolean),
    })
    .from(messages)
    .innerJoin(channels, eq(channels.id, messages.channelId))
    .leftJoin(users, eq(users.id, messages.userId))
    .where(and(eq(messages.id, messageId), visibleToSql(applicationId, viewerId, options)))
    .get();
  if (!row) return undefined;
  const { channel, isMember, isModerator, ...message } = row;
  return { message: message as MessageRow, channel: channel as ChannelRow, isMember, isModerator };
};

export interface MessagePageOptions {
  /** Only messages with an id below this one (the oldest of the page before); none: from the newest. */
  before?: number | undefined;
  limit: number;
}

const atMostBelow = (before: number | undefined) => (before === undefined ? undefined : before - 1);

/** `limit` of the channel's messages the viewer sees, newest first; `mainThread`: neither replies nor standalone threads' messages. */
export const listVisibleMessages = (
  db: Db,
  applicationId: number,
  viewerId: number,
  channelId: number,
  { before, limit, mainThread = false }: MessagePageOptions & { mainThread?: boolean | undefined },
) =>
  messagesPage(
    db,
    and(
      eq(messages.channelId, channelId),
      visibleToSql(applicationId, viewerId),
      mainThread ? and(isNull(messages.parentId), isNull(messages.threadId)) : undefined,
    ),
    atMostBelow(before),
    limit,
  );

/** `limit` of the replies to a message that the viewer sees, newest first (messages_parent_idx). */
export const listReplies = (db: Db, applicationId: number, viewerId: number, parentId: number, { before, limit }: MessagePageOptions) =>
  messagesPage(db, and(eq(messages.parentId, parentId), visibleToSql(applicationId, viewerId)), atMostBelow(before), limit);

/** `limit` of a standalone thread's messages that the viewer sees, newest first (messages_thread_idx). */
export const listThreadMessages = (
  db: Db,
  applicationId: number,
  viewerId: number,
  threadId: number,
  { before, limit }: MessagePageOptions,
) => messagesPage(db, and(eq(messages.threadId, threadId), visibleToSql(applicationId, viewerId)), atMostBelow(before), limit);

/** Parent ids per lookup: the statement also binds the application id. */
const PARENTS_PER_LOOKUP = MAX_BOUND_PARAMETERS - 1;

/** How many replies each of these messages has (0 for none), as every viewer sees the message resource. */
export const countReplies = async (db: Db, applicationId: number, parentIds: number[]): Promise<Map<number, number>> => {
  const counts = new Map<number, number>();
  const ids = [...new Set(parentIds)];
  for (const id of ids) counts.set(id, 0);
  const [first, ...rest] = chunked(ids, PARENTS_PER_LOOKUP).map((chunk) =>
    db
      .select({ parentId: messages.parentId, n: count() })
      .from(messages)
      .where(and(inApplicationSql(applicationId), inArray(messages.parentId, chunk)))
      .groupBy(messages.parentId),
  );
  if (!first) return counts;
  for (const { parentId, n } of (await db.batch([first, ...rest])).flat()) if (parentId !== null) counts.set(parentId, n);
  return counts;
};

const countWhere = async (db: Db, where: SQL | undefined) => (await db.select({ n: count() }).from(messages).where(where).get())?.n ?? 0;

/** How many of the channel's messages the viewer sees. */
export const countVisibleMessages = (db: Db, applicationId: number, viewerId: number, channelId: number) =>
  countWhere(db, and(eq(messages.channelId, channelId), visibleToSql(applicationId, viewerId)));

/**
 * How many messages the viewer sees past their read marker, not sent by them: in one channel, or
 * over every channel they are a member of. Not a member: 0. Muted channels count too.
 */
export const countUnreadMessages = (db: Db, applicationId: number, viewerId: number, channelId?: number) =>
  countWhere(
    db,
    and(
      // Over every channel, the application's messages are what is walked.
      channelId === undefined ? eq(messages.applicationId, applicationId) : eq(messages.channelId, channelId),
      unreadBySql(viewerId),
      visibleToSql(applicationId, viewerId),
    ),
  );
