/**
 * Persisted messages (every channel type but OPEN, whose messages live in their room). Messages
 * are read with their sender, so every transport can present them from one row.
 */
import { and, asc, count, desc, eq, gt, gte, inArray, lte, ne, sql, type SQL } from "drizzle-orm";
import { chunked, MAX_BOUND_PARAMETERS } from "../../db/chunks";
import type { Db } from "../../db/client";
import {
  channelMembers,
  channels,
  idempotencyKeys,
  messages,
  users,
  type JsonObject,
  type MessageType,
  type StoredFile,
} from "../../db/schema";
import { queueFilesOfMessageIds, queueMessageFile } from "../../files/deletions";
import type { IdempotencyClaim } from "../idempotency";
import { EPHEMERAL } from "../rules";
import { channelColumns, type ChannelRow, findChannelQuery } from "./channels";
import { forgetExpiredKeyQuery } from "./idempotency";
import { userColumns, type UserRow } from "./users";

export const messageColumns = {
  id: messages.id,
  channelId: messages.channelId,
  userId: messages.userId,
  type: messages.type,
  body: messages.body,
  file: messages.file,
  groupTag: messages.groupTag,
  properties: messages.properties,
  createdAt: messages.createdAt,
  lastEditedAt: messages.lastEditedAt,
  parentId: messages.parentId,
  threadId: messages.threadId,
};
const withSender = { ...messageColumns, user: userColumns };

/** A persisted message and its sender (null for system messages). */
export interface MessageRow {
  id: number;
  channelId: number;
  userId: number | null;
  type: MessageType;
  body: string | null;
  /** FILE and SYSTEM_FILE messages; a hosted file's `key` stays server-side. */
  file: StoredFile | null;
  groupTag: string | null;
  properties: JsonObject;
  createdAt: Date;
  /** Null or absent until the Platform API edits it (absent in rows not read from D1, as a room's). */
  lastEditedAt?: Date | null;
  /** A reply's parent message (which may since be deleted); null or absent for other messages, absent in a room's rows. */
  parentId?: number | null;
  /** A standalone thread's message; null or absent for others. */
  threadId?: number | null;
  user: UserRow | null;
}

/** What every new message may carry besides its content: a back end's label and custom data. */
interface MessageExtras {
  groupTag?: string | undefined;
  properties?: JsonObject | undefined;
}

/** Where in its channel a new message goes: a reply to a message, or into a standalone thread; neither: the main thread. */
export interface Placement {
  parentId?: number | null | undefined;
  threadId?: number | null | undefined;
}

/** What a new message says; user messages also name their sender. */
export type MessageContent = MessageExtras &
  (
    | { type: "SYSTEM_TEXT"; body: string }
    | { type: "SYSTEM_FILE"; file: StoredFile }
    | { type: "TEXT"; body: string }
    | { type: "FILE"; file: StoredFile }
  );

/**
 * One round trip for the common case: inserts the message if the channel exists in the
 * application and is persisted (not OPEN), and reads the channel in the same batch. No message
 * and a channel means an OPEN channel (its room holds the message); neither means no channel.
 * With a claim, the key is recorded in the same batch, which D1 runs as one transaction: a key
 * already recorded (a concurrent request with the same key committed first) fails the batch with
 * a UNIQUE violation and rolls the message back, so one key never sends two messages.
 */
export const insertIntoPersistedChannel = async (
  db: Db,
  applicationId: number,
  channelId: number,
  content: MessageContent,
  sender: UserRow | null,
  claim?: IdempotencyClaim,
  placement: Placement = {},
) => {
  const insert = insertMessageQuery(db, applicationId, channelId, content, sender?.id ?? null, placement);
  const find = findChannelQuery(db, applicationId, channelId);
  const saved = (rows: Omit<MessageRow, "user">[]): MessageRow | undefined => (rows[0] ? { ...rows[0], user: sender } : undefined);
  if (!claim) {
    const [inserted, [channel]] = await db.batch([insert, find]);
    return { message: saved(inserted), channel };
  }
  const [, inserted, , [channel]] = await db.batch([
    forgetExpiredKeyQuery(db, applicationId, claim.key),
    insert,
    recordKeyQuery(db, claim),
    find,
  ]);
  return { message: saved(inserted), channel };
};

const insertMessageQuery = (
  db: Db,
  applicationId: number,
  channelId: number,
  content: MessageContent,
  userId: number | null,
  { parentId = null, threadId = null }: Placement,
) => {
  const text = "body" in content ? content.body : null;
  const file = "file" in content ? JSON.stringify(content.file) : null;
  const properties = JSON.stringify(content.properties ?? {});
  return db
    .insert(messages)
    .select((qb) =>
      qb
        // Drizzle names every column of the table, in the schema's order: this lists them all, in that order.
        .select({
          // NULL into an INTEGER PRIMARY KEY lets SQLite assign the next id.
          id: sql<number>`null`.as("id"),
          applicationId: channels.applicationId,
          channelId: sql<number>`${channels.id}`.as("channel_id"),
          userId: sql<number | null>`${userId}`.as("user_id"),
          type: sql<string>`${content.type}`.as("type"),
          body: sql<string | null>`${text}`.as("body"),
          file: sql<string | null>`${file}`.as("file"),
          groupTag: sql<string | null>`${content.groupTag ?? null}`.as("group_tag"),
          properties: sql<string>`${properties}`.as("properties"),
          createdAt: sql<Date>`${messages.createdAt.default}`.as("created_at"),
          lastEditedAt: sql<Date | null>`null`.as("last_edited_at"),
          parentId: sql<number | null>`${parentId}`.as("parent_id"),
          threadId: sql<number | null>`${threadId}`.as("thread_id"),
        })
        .from(channels)
        .where(and(eq(channels.applicationId, applicationId), eq(channels.id, channelId), ne(channels.type, EPHEMERAL))),
    )
    .returning(messageColumns);
};

/**
 * Records the key of the message the statement before inserted, and nothing when it inserted
 * none (an OPEN channel, or no channel): `changes()` and `last_insert_rowid()` describe the
 * previous statement of the batch, which runs on one connection.
 */
const recordKeyQuery = (db: Db, { key, fingerprint }: IdempotencyClaim) =>
  db.insert(idempotencyKeys).select((qb) =>
    qb
      .select({
        applicationId: messages.applicationId,
        key: sql<string>`${key}`.as("key"),
        fingerprint: sql<string>`${fingerprint}`.as("fingerprint"),
        messageId: messages.id,
        createdAt: messages.createdAt,
      })
      .from(messages)
      .where(and(sql`changes() = 1`, eq(messages.id, sql`last_insert_rowid()`))),
  );

/** A message a back end imports as history: its channel and sender were checked by the caller. */
export interface ImportedMessage {
  channelId: number;
  userId: number | null;
  content: Extract<MessageContent, { type: "TEXT" | "SYSTEM_TEXT" }>;
}

/** Parameters one row of `insertImportedMessagesQuery` binds (application, channel, sender, type, body, group tag, properties). */
const PARAMETERS_PER_MESSAGE = 7;

/** Rows one `insertImportedMessagesQuery` may take. */
export const IMPORTED_MESSAGES_PER_INSERT = Math.floor(MAX_BOUND_PARAMETERS / PARAMETERS_PER_MESSAGE);

/**
 * Inserts imported messages (at most IMPORTED_MESSAGES_PER_INSERT), in the given order: their
 * ids, and so their order in the channel, follow it. A channel deleted meanwhile fails the
 * statement (its foreign key) rather than leaving a message of no channel.
 */
export const insertImportedMessagesQuery = (db: Db, applicationId: number, rows: ImportedMessage[]) =>
  db.insert(messages).values(
    rows.map(({ channelId, userId, content }) => ({
      applicationId,
      channelId,
      userId,
      type: content.type,
      body: content.body,
      groupTag: content.groupTag ?? null,
      properties: content.properties ?? {},
    })),
  );

/** What a list may be narrowed to: messages of one sender (by name), or whose text contains a string. */
export interface MessageFilter {
  senderName?: string | undefined;
  senderId?: number | undefined;
  text?: string | undefined;
  /** Messages of the user's channels past their read marker, sent by someone else. */
  unreadBy?: number | undefined;
  /** Messages of the user's channels since they joined, sent by someone else or the system: their notifications. */
  notifying?: number | undefined;
}

// The IN list lets SQLite walk messages_channel_idx of the user's channels only, not the application's messages.
export const unreadBySql = (userId: number) =>
  sql`${messages.channelId} in (select ${channelMembers.channelId} from ${channelMembers} where ${channelMembers.userId} = ${userId})
    and ${messages.id} > (select coalesce(${channelMembers.lastReadMessageId}, 0) from ${channelMembers}
      where ${channelMembers.channelId} = ${messages.channelId} and ${channelMembers.userId} = ${userId})
    and (${messages.userId} is null or ${messages.userId} != ${userId})`;

// As unreadBySql, bounded below by when the user joined rather than by their read marker.
const notifyingSql = (userId: number) =>
  sql`${messages.channelId} in (select ${channelMembers.channelId} from ${channelMembers} where ${channelMembers.userId} = ${userId})
    and ${messages.createdAt} >= (select ${channelMembers.createdAt} from ${channelMembers}
      where ${channelMembers.channelId} = ${messages.channelId} and ${channelMembers.userId} = ${userId})
    and (${messages.userId} is null or ${messages.userId} != ${userId})`;

/** SQL for a filter; a sender name no user has matches nothing. Text matches ignoring ASCII case. */
const filterSql = (applicationId: number, { senderName, senderId, text, unreadBy, notifying }: MessageFilter = {}) =>
  and(
    senderId === undefined ? undefined : eq(messages.userId, senderId),
    unreadBy === undefined ? undefined : unreadBySql(unreadBy),
    notifying === undefined ? undefined : notifyingSql(notifying),
    senderName === undefined
      ? undefined
      : eq(
          messages.userId,
          sql`(select ${users.id} from ${users} where ${users.applicationId} = ${applicationId} and ${users.name} = ${senderName})`,
        ),
    text === undefined ? undefined : sql`instr(lower(${messages.body}), lower(${text})) > 0`,
  );

/**
 * A page of messages (`limit` newest with `id <= atMost` among `where`) and, in the same batch,
 * their senders. Not a join: D1 returns batch rows keyed by column name, so a join's duplicate
 * names (`id`, `name`, `properties`) would collapse.
 */
const pageStatements = (db: Db, where: SQL | undefined, atMost: number | undefined, limit: number) => {
  const page = db
    .select(messageColumns)
    .from(messages)
    .where(and(where, atMost === undefined ? undefined : lte(messages.id, atMost)))
    .orderBy(desc(messages.id))
    .limit(limit);
  const inPage = page.as("page");
  const senders = db
    .select(userColumns)
    .from(users)
    .where(inArray(users.id, db.select({ id: inPage.userId }).from(inPage)));
  return [page, senders] as const;
};

const withSenders = (rows: Omit<MessageRow, "user">[], senders: UserRow[]): MessageRow[] => {
  const byId = new Map(senders.map((u) => [u.id, u]));
  return rows.map((m) => ({ ...m, user: m.userId === null ? null : (byId.get(m.userId) ?? null) }));
};

/** `limit` messages among `where` with `id <= atMost`, newest first, with their senders, in one round trip. */
export const messagesPage = async (db: Db, where: SQL | undefined, atMost: number | undefined, limit: number) => {
  const [rows, senders] = await db.batch(pageStatements(db, where, atMost, limit));
  return withSenders(rows, senders);
};

/**
 * `limit` of the application's persisted messages (every channel) with `id <= atMost`, newest
 * first. The (application_id, id) index makes this a range scan of `limit` rows at any depth.
 */
export const listApplicationMessages = async (
  db: Db,
  applicationId: number,
  atMost: number | undefined,
  limit: number,
  filter?: MessageFilter,
) => {
  const [rows, senders] = await db.batch(pageStatements(db, ofApplication(applicationId, filter), atMost, limit));
  return withSenders(rows, senders);
};

const ofApplication = (applicationId: number, filter?: MessageFilter) =>
  and(eq(messages.applicationId, applicationId), filterSql(applicationId, filter));

export const countApplicationMessages = async (db: Db, applicationId: number, filter: MessageFilter) =>
  (await db.select({ n: count() }).from(messages).where(ofApplication(applicationId, filter)).get())?.n ?? 0;

/**
 * SQL: the message is the application's, as a filter beside a narrower key (a channel, a parent, a
 * thread, an id). The unary `+` keeps it off SQLite's index choice: without ANALYZE statistics
 * the planner would prefer this equality and walk every message of the application
 * (test/db/query-plans.test.ts). Lists of a whole application use `eq` and its index instead.
 */
export const inApplicationSql = (applicationId: number) => sql`+${messages.applicationId} = ${applicationId}`;

const ofChannel = (applicationId: number, channelId: number, filter?: MessageFilter) =>
  and(eq(messages.channelId, channelId), inApplicationSql(applicationId), filterSql(applicationId, filter));

/**
 * The upper key of a PREVIOUS page: the largest of the `size` ids just above `above` among the
 * channel's (or, without one, the application's) messages; undefined when none is newer.
 */
export const upperKeyAbove = async (
  db: Db,
  applicationId: number,
  channelId: number | undefined,
  above: number,
  size: number,
  filter?: MessageFilter,
) => {
  const where = channelId === undefined ? ofApplication(applicationId, filter) : ofChannel(applicationId, channelId, filter);
  const newer = db
    .select({ id: messages.id })
    .from(messages)
    .where(and(where, gt(messages.id, above)))
    .orderBy(asc(messages.id))
    .limit(size)
    .as("newer");
  const row = await db
    .select({ top: sql<number | null>`max(${newer.id})`.as("top") })
    .from(newer)
    .get();
  return row?.top ?? undefined;
};

/**
 * One round trip: the channel, and `limit` of its persisted messages with `id <= atMost`, newest
 * first. The (channel_id, id) index makes this a range scan of `limit` rows at any depth.
 */
export const findChannelWithMessages = async (
  db: Db,
  applicationId: number,
  channelId: number,
  atMost: number | undefined,
  limit: number,
  filter?: MessageFilter,
) => {
  const [[channel], rows, senders] = await db.batch([
    findChannelQuery(db, applicationId, channelId),
    ...pageStatements(db, ofChannel(applicationId, channelId, filter), atMost, limit),
  ]);
  return { channel, rows: withSenders(rows, senders) };
};

/** `limit` persisted messages of a channel with `id <= atMost`, newest first, with their senders. */
export const listChannelMessages = async (
  db: Db,
  applicationId: number,
  channelId: number,
  atMost: number | undefined,
  limit: number,
  filter?: MessageFilter,
) => {
  const [rows, senders] = await db.batch(pageStatements(db, ofChannel(applicationId, channelId, filter), atMost, limit));
  return withSenders(rows, senders);
};

// A single statement: D1 returns its rows as arrays, so the join's duplicate names are harmless.
export const findMessage = (db: Db, applicationId: number, messageId: number) =>
  db
    .select(withSender)
    .from(messages)
    .leftJoin(users, eq(users.id, messages.userId))
    .where(and(eq(messages.applicationId, applicationId), eq(messages.id, messageId)))
    .get() as Promise<MessageRow | undefined>;

/**
 * Deletes a message, recording the deletion of its stored file in the same transaction
 * (files/deletions.ts); returns its channel and the file-deletion records, in one round trip.
 */
export const deleteMessage = async (db: Db, applicationId: number, messageId: number) => {
  const [[channel], queued, deleted] = await db.batch([
    db
      .select(channelColumns)
      .from(messages)
      .innerJoin(channels, eq(channels.id, messages.channelId))
      .where(and(eq(messages.applicationId, applicationId), eq(messages.id, messageId))),
    queueMessageFile(db, applicationId, messageId),
    db
      .delete(messages)
      .where(and(eq(messages.applicationId, applicationId), eq(messages.id, messageId)))
      .returning({ id: messages.id }),
  ]);
  return deleted[0] && channel ? { channel, fileDeletions: queued } : undefined;
};

/** Messages one `deleteOldestMessages` removes: bounded, so that no statement holds the database for long. */
const DELETE_CHUNK = 1000;

/** The id of the application's newest persisted message; undefined when it has none. */
export const newestMessageId = async (db: Db, applicationId: number) =>
  (
    await db
      .select({ id: messages.id })
      .from(messages)
      .where(eq(messages.applicationId, applicationId))
      .orderBy(desc(messages.id))
      .limit(1)
      .get()
  )?.id;

/**
 * Deletes the application's oldest messages up to id `atMost`, at most DELETE_CHUNK of them,
 * recording their stored files' deletion in the same transaction (files/deletions.ts). Returns
 * how many were deleted (fewer than the chunk: none are left) and the file-deletion records.
 */
export const deleteOldestMessages = async (db: Db, applicationId: number, atMost: number) => {
  const oldest = db
    .select({ id: messages.id })
    .from(messages)
    .where(and(eq(messages.applicationId, applicationId), lte(messages.id, atMost)))
    .orderBy(asc(messages.id))
    .limit(DELETE_CHUNK);
  const [queued, deleted] = await db.batch([
    queueFilesOfMessageIds(db, applicationId, oldest),
    db
      .delete(messages)
      .where(and(eq(messages.applicationId, applicationId), inArray(messages.id, oldest)))
      .returning({ id: messages.id }),
  ]);
  return { deleted: deleted.length, done: deleted.length < DELETE_CHUNK, fileDeletions: queued };
};

/** What the Platform API may change on a message; any change sets its `lastEditedAt`. */
export interface MessageChanges {
  body?: string;
  properties?: JsonObject;
  /** A JSON merge patch (RFC 7396) of `properties`, applied by SQLite's `json_patch` in the update itself. */
  propertiesPatch?: JsonObject;
}

/** Applies `changes` and reads the message back with its sender, in one round trip; undefined when there is no such message. */
export const updateMessage = async (db: Db, applicationId: number, messageId: number, changes: MessageChanges) => {
  const { propertiesPatch, ...set } = changes;
  const where = and(eq(messages.applicationId, applicationId), eq(messages.id, messageId));
  const [updated, senders] = await db.batch([
    db
      .update(messages)
      .set({
        ...set,
        ...(propertiesPatch ? { properties: sql`json_patch(${messages.properties}, ${JSON.stringify(propertiesPatch)})` } : {}),
        // The SQLite clock, as `created_at` uses.
        lastEditedAt: sql`${messages.createdAt.default}`,
      })
      .where(where)
      .returning(messageColumns),
    db
      .select(userColumns)
      .from(users)
      .where(eq(users.id, sql`(select ${messages.userId} from ${messages} where ${where})`)),
  ]);
  return updated[0] ? withSenders(updated, senders)[0] : undefined;
};

/**
 * A numbered page of who has read a message (ascending user id): the members of its channel whose
 * read marker is at or past it, with the total. `readUpTo` is the creation time of the message
 * the marker points at, the earliest the member can have read this one (markers keep no time).
 */
export const listReadReceiptsPage = async (
  db: Db,
  applicationId: number,
  message: Pick<MessageRow, "id" | "channelId">,
  offset: number,
  limit: number,
) => {
  const where = and(
    eq(channelMembers.applicationId, applicationId),
    eq(channelMembers.channelId, message.channelId),
    gte(channelMembers.lastReadMessageId, message.id),
  );
  const [rows, [total]] = await db.batch([
    db
      .select({
        ...userColumns,
        readUpTo: sql<
          number | null
        >`(select ${messages.createdAt} from ${messages} where ${messages.id} = ${channelMembers.lastReadMessageId})`.as("read_up_to"),
      })
      .from(channelMembers)
      .innerJoin(users, eq(users.id, channelMembers.userId))
      .where(where)
      .orderBy(asc(users.id))
      .limit(limit)
      .offset(offset),
    db.select({ n: count() }).from(channelMembers).where(where),
  ]);
  return {
    rows: rows.map(({ readUpTo, ...user }) => ({ user: user as UserRow, readUpTo: readUpTo === null ? undefined : new Date(readUpTo) })),
    total: total?.n ?? 0,
  };
};

/** Channel ids per lookup: the statement also binds the application and user ids. */
const CHANNELS_PER_LOOKUP = MAX_BOUND_PARAMETERS - 2;

/**
 * The user's channels among `channelIds`, each with how far the user has read it: the read
 * marker and the creation time of the message it points at (markers keep no time of their own).
 */
export const channelsWithReadMarkers = async (db: Db, applicationId: number, userId: number, channelIds: number[]) => {
  const [first, ...rest] = chunked([...new Set(channelIds)], CHANNELS_PER_LOOKUP).map((chunk) =>
    db
      .select({
        ...channelColumns,
        lastReadMessageId: channelMembers.lastReadMessageId,
        readUpTo: sql<
          number | null
        >`(select ${messages.createdAt} from ${messages} where ${messages.id} = ${channelMembers.lastReadMessageId})`.as("read_up_to"),
      })
      .from(channelMembers)
      .innerJoin(channels, eq(channels.id, channelMembers.channelId))
      .where(
        and(eq(channelMembers.applicationId, applicationId), eq(channelMembers.userId, userId), inArray(channelMembers.channelId, chunk)),
      ),
  );
  if (!first) return [];
  return (await db.batch([first, ...rest])).flat().map(({ lastReadMessageId, readUpTo, ...channel }) => ({
    channel: channel as ChannelRow,
    lastReadMessageId,
    readUpTo: readUpTo === null ? undefined : new Date(readUpTo),
  }));
};
