/**
 * Channel memberships: who belongs to a channel, and how far each member has read. Memberships are
 * scoped by the application like every row.
 */
import { and, count, eq, inArray, ne, sql } from "drizzle-orm";
import { chunked, MAX_BOUND_PARAMETERS } from "../../db/chunks";
import type { Db } from "../../db/client";
import { channelMembers, channels, messages, users } from "../../db/schema";
import { userColumns, type UserRow } from "./users";

const memberRow = (userId: number) =>
  sql`select 1 from ${channelMembers} where ${channelMembers.channelId} = ${channels.id} and ${channelMembers.userId} = ${userId}`;

// Drizzle's exists() does not parenthesize a raw subquery; SQLite needs `exists (select …)`.
/** SQL: the user is a member of the channel of the row at hand. */
export const isMemberSql = (userId: number) => sql`exists (${memberRow(userId)})`;
export const isNotMemberSql = (userId: number) => sql`not exists (${memberRow(userId)})`;

/** A numbered page of a channel's members (ascending user id), with the total; for both APIs. */
export const listMembersPage = async (db: Db, applicationId: number, channelId: number, offset: number, limit: number) => {
  const where = and(eq(channelMembers.applicationId, applicationId), eq(channelMembers.channelId, channelId));
  const [rows, [total]] = await db.batch([
    db
      .select(userColumns)
      .from(channelMembers)
      .innerJoin(users, eq(users.id, channelMembers.userId))
      .where(where)
      .orderBy(users.id)
      .limit(limit)
      .offset(offset),
    db.select({ n: count() }).from(channelMembers).where(where),
  ]);
  return { rows: rows as UserRow[], total: total?.n ?? 0 };
};

/** Adds a member (already one: nothing changes). */
export const addMember = (db: Db, applicationId: number, channelId: number, userId: number) =>
  db.insert(channelMembers).values({ applicationId, channelId, userId }).onConflictDoNothing();

/** Removes a member; returns the user (id and name, for their live sessions), undefined when not a member. */
export const removeMember = async (db: Db, applicationId: number, channelId: number, userId: number) => {
  const [removed, [user]] = await db.batch([
    db
      .delete(channelMembers)
      .where(
        and(eq(channelMembers.applicationId, applicationId), eq(channelMembers.channelId, channelId), eq(channelMembers.userId, userId)),
      )
      .returning({ userId: channelMembers.userId }),
    db
      .select({ id: users.id, name: users.name })
      .from(users)
      .where(and(eq(users.applicationId, applicationId), eq(users.id, userId))),
  ]);
  return removed.length > 0 ? user : undefined;
};

/**
 * Moves the member's read marker forward to `messageId`, or to the channel's newest message when
 * omitted; never backwards.
 */
export const markRead = (db: Db, applicationId: number, channelId: number, userId: number, messageId?: number) => {
  const target = messageId ?? sql`(select max(${messages.id}) from ${messages} where ${messages.channelId} = ${channelId})`;
  return db
    .update(channelMembers)
    .set({ lastReadMessageId: sql`max(coalesce(${channelMembers.lastReadMessageId}, 0), coalesce(${target}, 0))` })
    .where(
      and(eq(channelMembers.applicationId, applicationId), eq(channelMembers.channelId, channelId), eq(channelMembers.userId, userId)),
    );
};

/** Members of a channel other than `exceptUserId` (ids and names: names pick shards), for notifications (bounded). */
export const channelMembersToNotify = (db: Db, applicationId: number, channelId: number, exceptUserId: number | null, limit: number) =>
  db
    .select({ id: users.id, name: users.name })
    .from(channelMembers)
    .innerJoin(users, eq(users.id, channelMembers.userId))
    .where(
      and(
        eq(channelMembers.applicationId, applicationId),
        eq(channelMembers.channelId, channelId),
        exceptUserId === null ? undefined : ne(channelMembers.userId, exceptUserId),
      ),
    )
    .limit(limit);

/** Channel ids per lookup: the statement also binds the application id. */
const IDS_PER_LOOKUP = MAX_BOUND_PARAMETERS - 1;

/**
 * The members of each of these (DIRECT) channels, ascending id, for presenting them; one round
 * trip. A channel's members all come from the one chunk that names it, so each list stays sorted.
 */
export const membersOfChannels = async (db: Db, applicationId: number, channelIds: number[]) => {
  const byChannel = new Map<number, UserRow[]>();
  const [first, ...rest] = chunked([...new Set(channelIds)], IDS_PER_LOOKUP).map((chunk) =>
    db
      .select({ channelId: channelMembers.channelId, ...userColumns })
      .from(channelMembers)
      .innerJoin(users, eq(users.id, channelMembers.userId))
      .where(and(eq(channelMembers.applicationId, applicationId), inArray(channelMembers.channelId, chunk)))
      .orderBy(users.id),
  );
  if (!first) return byChannel;
  for (const { channelId, ...user } of (await db.batch([first, ...rest])).flat()) {
    byChannel.set(channelId, [...(byChannel.get(channelId) ?? []), user as UserRow]);
  }
  return byChannel;
};
