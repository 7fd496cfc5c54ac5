import { and, desc, eq, lte, ne, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { channels, messages, type StoredFile } from "../../db/schema";
import { findChannelQuery } from "../channels/channels.queries";

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
 */
export const insertIntoPersistedChannel = async (db: Db, applicationId: number, channelId: number, content: SystemContent) => {
  const text = content.type === "SYSTEM_TEXT" ? content.body : null;
  const file = content.type === "SYSTEM_FILE" ? JSON.stringify(content.file) : null;
  const groupTag = content.type === "SYSTEM_FILE" ? (content.groupTag ?? null) : null;
  const [inserted, [channel]] = await db.batch([
    db
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
      .returning(messageColumns),
    findChannelQuery(db, applicationId, channelId),
  ]);
  return { message: inserted[0] as MessageRow | undefined, channel };
};

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

/** Deletes a message and returns its channel and file (for its stored object), in one round trip. */
export const deleteMessage = async (db: Db, applicationId: number, messageId: number) => {
  const [[channel], deleted] = await db.batch([
    db
      .select({ id: channels.id, type: channels.type, name: channels.name })
      .from(messages)
      .innerJoin(channels, eq(channels.id, messages.channelId))
      .where(and(eq(messages.applicationId, applicationId), eq(messages.id, messageId))),
    db
      .delete(messages)
      .where(and(eq(messages.applicationId, applicationId), eq(messages.id, messageId)))
      .returning({ id: messages.id, file: messages.file }),
  ]);
  return deleted[0] && channel ? { channel, file: deleted[0].file } : undefined;
};
