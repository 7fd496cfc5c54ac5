/**
 * Users a user blocked (spec §12.6). The blocker stops seeing the blocked user's messages: history
 * and counts through `message-views.ts`, live deliveries through `findAllBlockersOf` (channel rooms), notifications in `channelMembersToNotify`.
 */
import { and, count, desc, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { userBlocks, users } from "../../db/schema";
import { userColumns, type UserRow } from "./users";

const block = (applicationId: number, userId: number, blockedId: number) =>
  and(eq(userBlocks.applicationId, applicationId), eq(userBlocks.userId, userId), eq(userBlocks.blockedUserId, blockedId));

/** Records the block; blocking again keeps the first block (and its time). */
export const insertBlock = (db: Db, applicationId: number, userId: number, blockedId: number) =>
  db.insert(userBlocks).values({ applicationId, userId, blockedUserId: blockedId }).onConflictDoNothing();

/** Ends the block and reads the user who was blocked, in one round trip; undefined when there was no block. */
export const deleteBlock = async (db: Db, applicationId: number, userId: number, blockedId: number): Promise<UserRow | undefined> => {
  const [deleted, [user]] = await db.batch([
    db
      .delete(userBlocks)
      .where(block(applicationId, userId, blockedId))
      .returning({ blockedId: userBlocks.blockedUserId }),
    db
      .select(userColumns)
      .from(users)
      .where(and(eq(users.applicationId, applicationId), eq(users.id, blockedId))),
  ]);
  return deleted.length > 0 ? (user as UserRow | undefined) : undefined;
};

/** A numbered page of the users this user blocked, newest block first, with the total. */
export const listBlocksPage = async (db: Db, applicationId: number, userId: number, offset: number, limit: number) => {
  const where = and(eq(userBlocks.applicationId, applicationId), eq(userBlocks.userId, userId));
  const [rows, [total]] = await db.batch([
    db
      .select({ ...userColumns, blockedAt: userBlocks.createdAt })
      .from(userBlocks)
      .innerJoin(users, eq(users.id, userBlocks.blockedUserId))
      .where(where)
      .orderBy(desc(userBlocks.createdAt), desc(userBlocks.blockedUserId))
      .limit(limit)
      .offset(offset),
    db.select({ n: count() }).from(userBlocks).where(where),
  ]);
  return { rows: rows.map(({ blockedAt, ...user }) => ({ user: user as UserRow, createdAt: blockedAt })), total: total?.n ?? 0 };
};

/** Up to `limit` users who blocked the sender (user_blocks_blocked_idx). */
export const findAllBlockersOf = async (db: Db, applicationId: number, senderId: number, limit: number): Promise<number[]> =>
  (
    await db
      .select({ userId: userBlocks.userId })
      .from(userBlocks)
      .where(and(eq(userBlocks.applicationId, applicationId), eq(userBlocks.blockedUserId, senderId)))
      .limit(limit)
  ).map((b) => b.userId);
