/**
 * Reactions to persisted messages: one row per (message, user, emoji), the emoji stored as its
 * Unicode character(s) (chat/emoji.ts).
 */
import { and, asc, count, eq, inArray, lte, sql } from "drizzle-orm";
import { chunked, MAX_BOUND_PARAMETERS } from "../../db/chunks";
import type { Db } from "../../db/client";
import { messageReactions, users } from "../../db/schema";
import { userColumns, type UserRow } from "./users";

/** A reaction as stored, with the user who reacted. */
export interface ReactionRow {
  messageId: number;
  emoji: string;
  user: UserRow;
  createdAt: Date;
}

/**
 * Records the reaction and reads its user, in one round trip; undefined when the user already
 * reacted so (the primary key decides concurrent duplicates).
 */
export const insertReaction = async (db: Db, applicationId: number, messageId: number, userId: number, emoji: string) => {
  const [inserted, [user]] = await db.batch([
    db
      .insert(messageReactions)
      .values({ applicationId, messageId, userId, emoji })
      .onConflictDoNothing()
      .returning({ createdAt: messageReactions.createdAt }),
    db
      .select(userColumns)
      .from(users)
      .where(and(eq(users.applicationId, applicationId), eq(users.id, userId))),
  ]);
  return inserted[0] && user ? ({ messageId, emoji, user, createdAt: inserted[0].createdAt } satisfies ReactionRow) : undefined;
};

/** Deletes the reaction and reads its user, in one round trip; undefined when there was none. */
export const deleteReaction = async (db: Db, applicationId: number, messageId: number, userId: number, emoji: string) => {
  const [deleted, [user]] = await db.batch([
    db
      .delete(messageReactions)
      .where(
        and(
          eq(messageReactions.applicationId, applicationId),
          eq(messageReactions.messageId, messageId),
          eq(messageReactions.userId, userId),
          eq(messageReactions.emoji, emoji),
        ),
      )
      .returning({ createdAt: messageReactions.createdAt }),
    db
      .select(userColumns)
      .from(users)
      .where(and(eq(users.applicationId, applicationId), eq(users.id, userId))),
  ]);
  return deleted[0] && user ? ({ messageId, emoji, user, createdAt: deleted[0].createdAt } satisfies ReactionRow) : undefined;
};

/** A numbered page of a message's reactions, oldest first, with the total. */
export const listReactionsPage = async (db: Db, applicationId: number, messageId: number, offset: number, limit: number) => {
  const where = and(eq(messageReactions.applicationId, applicationId), eq(messageReactions.messageId, messageId));
  // No duplicate column names between the two tables: D1 keys batch rows by name.
  const [rows, [total]] = await db.batch([
    db
      .select({ emoji: messageReactions.emoji, reactedAt: messageReactions.createdAt, ...userColumns })
      .from(messageReactions)
      .innerJoin(users, eq(users.id, messageReactions.userId))
      .where(where)
      .orderBy(asc(messageReactions.createdAt), asc(messageReactions.userId), asc(messageReactions.emoji))
      .limit(limit)
      .offset(offset),
    db.select({ n: count() }).from(messageReactions).where(where),
  ]);
  return {
    rows: rows.map(({ emoji, reactedAt, ...user }): ReactionRow => ({ messageId, emoji, user: user as UserRow, createdAt: reactedAt })),
    total: total?.n ?? 0,
  };
};

/** One emoji's reactions to one message: how many, and the first `usersPerEmoji` users who reacted. */
interface EmojiTally {
  messageId: number;
  emoji: string;
  count: number;
  users: UserRow[];
}

/** Message ids per lookup: the statement also binds the application id and the users cap. */
const MESSAGES_PER_LOOKUP = MAX_BOUND_PARAMETERS - 2;

/**
 * The reactions of these messages tallied per emoji, emoji in the order they were first used and
 * users in the order they reacted; one statement per MESSAGES_PER_LOOKUP ids, all in one batch.
 */
export const tallyReactions = async (db: Db, applicationId: number, messageIds: number[], usersPerEmoji: number) => {
  const [first, ...rest] = chunked([...new Set(messageIds)], MESSAGES_PER_LOOKUP).map((chunk) => {
    const byEmoji = sql`partition by ${messageReactions.messageId}, ${messageReactions.emoji}`;
    const ranked = db
      .select({
        messageId: messageReactions.messageId,
        emoji: messageReactions.emoji,
        reactorId: sql<number>`${messageReactions.userId}`.as("reactor_id"),
        n: sql<number>`count(*) over (${byEmoji})`.as("n"),
        firstAt: sql<number>`min(${messageReactions.createdAt}) over (${byEmoji})`.as("first_at"),
        rank: sql<number>`row_number() over (${byEmoji} order by ${messageReactions.createdAt}, ${messageReactions.userId})`.as("rank"),
      })
      .from(messageReactions)
      .where(and(eq(messageReactions.applicationId, applicationId), inArray(messageReactions.messageId, chunk)))
      .as("ranked");
    return db
      .select({ messageId: ranked.messageId, emoji: ranked.emoji, n: ranked.n, ...userColumns })
      .from(ranked)
      .innerJoin(users, eq(users.id, ranked.reactorId))
      .where(lte(ranked.rank, usersPerEmoji))
      .orderBy(asc(ranked.messageId), asc(ranked.firstAt), asc(ranked.emoji), asc(ranked.rank));
  });
  const tallies: EmojiTally[] = [];
  if (!first) return tallies;
  let current: EmojiTally | undefined;
  for (const { messageId, emoji, n, ...user } of (await db.batch([first, ...rest])).flat()) {
    if (current?.messageId !== messageId || current.emoji !== emoji) {
      current = { messageId, emoji, count: n, users: [] };
      tallies.push(current);
    }
    current.users.push(user as UserRow);
  }
  return tallies;
};
