/**
 * Read markers moved by reading (spec §8), and the receipts they stand for: a member has read a
 * message when their marker is at or past it, at the time the marker last moved.
 */
import { and, asc, count, eq, gt, ne, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { channelMembers, messages, users } from "../../db/schema";
import { visibleToSql } from "./message-views";
import { type MessageRow, messagesPage } from "./messages";
import { userColumns, type UserRow } from "./users";

const membership = (applicationId: number, channelId: number, userId: number) =>
  and(eq(channelMembers.applicationId, applicationId), eq(channelMembers.channelId, channelId), eq(channelMembers.userId, userId));

/**
 * Moves the member's read marker up to `messageId`, or to the channel's newest message when
 * omitted, stamping `lastReadAt`; never backwards. Returns the marker before and after, or
 * undefined when it did not move (or they are not a member). One batch: one transaction, so the
 * marker read first is the one the update raised.
 */
export const advanceReadMarker = async (db: Db, applicationId: number, channelId: number, userId: number, messageId?: number) => {
  const target = messageId ?? sql`(select max(${messages.id}) from ${messages} where ${messages.channelId} = ${channelId})`;
  const [[before], moved] = await db.batch([
    db
      .select({ marker: channelMembers.lastReadMessageId })
      .from(channelMembers)
      .where(membership(applicationId, channelId, userId)),
    db
      .update(channelMembers)
      .set({ lastReadMessageId: sql`${target}`, lastReadAt: sql`cast(unixepoch('subsec') * 1000 as integer)` })
      .where(
        and(membership(applicationId, channelId, userId), sql`coalesce(${target}, 0) > coalesce(${channelMembers.lastReadMessageId}, 0)`),
      )
      .returning({ marker: channelMembers.lastReadMessageId }),
  ]);
  const after = moved[0]?.marker;
  if (!before || after === undefined || after === null) return undefined;
  return { from: before.marker ?? 0, to: after };
};

/** The newest message with an id in (from, to] of the channel that the reader sees, with its sender. */
export const newestVisibleBetween = async (
  db: Db,
  applicationId: number,
  readerId: number,
  channelId: number,
  { from, to }: { from: number; to: number },
): Promise<MessageRow | undefined> => {
  const [newest] = await messagesPage(
    db,
    and(eq(messages.channelId, channelId), gt(messages.id, from), visibleToSql(applicationId, readerId)),
    to,
    1,
  );
  return newest;
};

/**
 * A numbered page of a message's receipts: the members of its channel other than its sender whose
 * marker is at or past it, by when they read (their marker's last move; before any read, when they
 * joined), then user id; with the total.
 */
export const listReceiptsPage = async (
  db: Db,
  applicationId: number,
  message: Pick<MessageRow, "id" | "channelId" | "userId">,
  offset: number,
  limit: number,
) => {
  const readAt = sql<number>`coalesce(${channelMembers.lastReadAt}, ${channelMembers.createdAt})`;
  const where = and(
    eq(channelMembers.applicationId, applicationId),
    eq(channelMembers.channelId, message.channelId),
    sql`${channelMembers.lastReadMessageId} >= ${message.id}`,
    message.userId === null ? undefined : ne(channelMembers.userId, message.userId),
  );
  const [rows, [total]] = await db.batch([
    db
      .select({ ...userColumns, readAt: readAt.as("read_at") })
      .from(channelMembers)
      .innerJoin(users, eq(users.id, channelMembers.userId))
      .where(where)
      .orderBy(asc(readAt), asc(channelMembers.userId))
      .limit(limit)
      .offset(offset),
    db.select({ n: count() }).from(channelMembers).where(where),
  ]);
  return {
    rows: rows.map(({ readAt, ...user }) => ({ user: user as UserRow, createdAt: new Date(readAt) })),
    total: total?.n ?? 0,
  };
};
