import { and, desc, eq, lte, ne, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { queueMessageFile } from "../../files/deletions";
import { channels, idempotencyKeys, messages, type StoredFile } from "../../db/schema";
import { findChannelQuery } from "../channels/channels.queries";
import { forgetExpiredKeyQuery, type IdempotencyClaim } from "./messages.idempotency";

const messageColumns = {
  id: messages.id,
  channelId: messages.channelId,
  userId: messages.userId,
  type: messages.type,
  body: messages.body,
  file: messages.file,
  groupTag: messages.groupTag,
  createdAt: messages.createdAt,
};
export type MessageRow = {
  id: number;
  channelId: number;
  userId: number | null;
  type: (typeof messages.$inferSelect)["type"];
  body: string | null;
  /** FILE and SYSTEM_FILE messages; a hosted file's `key` stays server-side. */
  file: StoredFile | null;
  groupTag: string | null;
  createdAt: Date;
};

export type SystemContent =
  | { type: "SYSTEM_TEXT"; body: string }
  | { type: "SYSTEM_FILE"; file: StoredFile; groupTag?: string | undefined };

/**
 * One round trip for the common case: inserts the system message if the channel exists in the
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
  content: SystemContent,
  claim?: IdempotencyClaim,
) => {
  const insert = insertSystemMessageQuery(db, applicationId, channelId, content);
  const find = findChannelQuery(db, applicationId, channelId);
  if (!claim) {
    const [inserted, [channel]] = await db.batch([insert, find]);
    return { message: inserted[0] as MessageRow | undefined, channel };
  }
  const [, inserted, , [channel]] = await db.batch([
    forgetExpiredKeyQuery(db, applicationId, claim.key),
    insert,
    recordKeyQuery(db, claim),
    find,
  ]);
  return { message: inserted[0] as MessageRow | undefined, channel };
};

const insertSystemMessageQuery = (db: Db, applicationId: number, channelId: number, content: SystemContent) => {
  const text = content.type === "SYSTEM_TEXT" ? content.body : null;
  const file = content.type === "SYSTEM_FILE" ? JSON.stringify(content.file) : null;
  const groupTag = content.type === "SYSTEM_FILE" ? (content.groupTag ?? null) : null;
  return db
    .insert(messages)
    .select((qb) =>
      qb
        .select({
          // NULL into an INTEGER PRIMARY KEY lets SQLite assign the next id.
          id: sql<number>`null`.as("id"),
          applicationId: channels.applicationId,
          channelId: sql<number>`${channels.id}`.as("channel_id"),
          userId: sql<null>`null`.as("user_id"),
          type: sql<string>`${content.type}`.as("type"),
          body: sql<string | null>`${text}`.as("body"),
          file: sql<string | null>`${file}`.as("file"),
          groupTag: sql<string | null>`${groupTag}`.as("group_tag"),
          properties: sql<string>`'{}'`.as("properties"),
          createdAt: sql<Date>`${messages.createdAt.default}`.as("created_at"),
        })
        .from(channels)
        .where(and(eq(channels.applicationId, applicationId), eq(channels.id, channelId), ne(channels.type, "OPEN"))),
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

export const insertSystemTextMessage = (db: Db, applicationId: number, channelId: number, body: string) =>
  db.insert(messages).values({ applicationId, channelId, type: "SYSTEM_TEXT", body }).returning(messageColumns).get();

/**
 * `limit` of the application's persisted messages (every channel) with `id <= atMost`, newest
 * first. The (application_id, id) index makes this a range scan of `limit` rows at any depth.
 */
export const listApplicationMessages = (db: Db, applicationId: number, atMost: number | undefined, limit: number) =>
  db
    .select(messageColumns)
    .from(messages)
    .where(and(eq(messages.applicationId, applicationId), atMost === undefined ? undefined : lte(messages.id, atMost)))
    .orderBy(desc(messages.id))
    .limit(limit);

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
) => {
  const [[channel], rows] = await db.batch([
    findChannelQuery(db, applicationId, channelId),
    db
      .select(messageColumns)
      .from(messages)
      .where(
        and(
          eq(messages.channelId, channelId),
          eq(messages.applicationId, applicationId),
          atMost === undefined ? undefined : lte(messages.id, atMost),
        ),
      )
      .orderBy(desc(messages.id))
      .limit(limit),
  ]);
  return { channel, rows };
};

export const findMessage = (db: Db, applicationId: number, messageId: number) =>
  db
    .select(messageColumns)
    .from(messages)
    .where(and(eq(messages.applicationId, applicationId), eq(messages.id, messageId)))
    .get();

/**
 * Deletes a message, recording the deletion of its stored file in the same transaction
 * (files/deletions.ts); returns its channel and the file-deletion records, in one round trip.
 */
export const deleteMessage = async (db: Db, applicationId: number, messageId: number) => {
  const [[channel], queued, deleted] = await db.batch([
    db
      .select({ id: channels.id, type: channels.type, name: channels.name })
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
