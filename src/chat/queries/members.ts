/**
 * Channel memberships: who belongs to a channel, and how far each member has read. Memberships are
 * scoped by the application like every row.
 */
import { and, asc, count, desc, eq, inArray, ne, type SQL, sql } from "drizzle-orm";
import { chunked, MAX_BOUND_PARAMETERS } from "../../db/chunks";
import type { Db } from "../../db/client";
import { channelMembers, channels, messages, userBlocks, users } from "../../db/schema";
import { withdrawInvitesQuery } from "./invites";
import { userColumns, userOrder, type UserRow, type UserSort } from "./users";

const memberRow = (userId: number) =>
  sql`select 1 from ${channelMembers} where ${channelMembers.channelId} = ${channels.id} and ${channelMembers.userId} = ${userId}`;

// Drizzle's exists() does not parenthesize a raw subquery; SQLite needs `exists (select …)`.
/** SQL: the user is a member of the channel of the row at hand. */
export const isMemberSql = (userId: number) => sql`exists (${memberRow(userId)})`;
export const isNotMemberSql = (userId: number) => sql`not exists (${memberRow(userId)})`;

export interface MemberListOptions {
  /** Only the members who moderate the channel. */
  moderatorsOnly?: boolean | undefined;
  /** Ascending user id when empty. */
  sort?: UserSort | undefined;
}

/** A numbered page of a channel's members (ascending user id unless sorted), with the total; for both APIs. */
export const listMembersPage = async (
  db: Db,
  applicationId: number,
  channelId: number,
  offset: number,
  limit: number,
  { moderatorsOnly, sort }: MemberListOptions = {},
) => {
  const where = and(
    eq(channelMembers.applicationId, applicationId),
    eq(channelMembers.channelId, channelId),
    moderatorsOnly ? eq(channelMembers.isModerator, true) : undefined,
  );
  const [rows, [total]] = await db.batch([
    db
      .select(userColumns)
      .from(channelMembers)
      .innerJoin(users, eq(users.id, channelMembers.userId))
      .where(where)
      .orderBy(...userOrder(sort))
      .limit(limit)
      .offset(offset),
    db.select({ n: count() }).from(channelMembers).where(where),
  ]);
  return { rows: rows as UserRow[], total: total?.n ?? 0 };
};

/** A numbered page of a channel's memberships (who joined when), in the order they joined unless `newestFirst`. */
export const listMembershipsPage = async (
  db: Db,
  applicationId: number,
  channelId: number,
  offset: number,
  limit: number,
  newestFirst = false,
) => {
  const where = and(eq(channelMembers.applicationId, applicationId), eq(channelMembers.channelId, channelId));
  const [rows, [total]] = await db.batch([
    db
      .select({ userId: channelMembers.userId, createdAt: channelMembers.createdAt })
      .from(channelMembers)
      .where(where)
      .orderBy(newestFirst ? desc(channelMembers.createdAt) : asc(channelMembers.createdAt), asc(channelMembers.userId))
      .limit(limit)
      .offset(offset),
    db.select({ n: count() }).from(channelMembers).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
};

export const isChannelMember = async (db: Db, applicationId: number, channelId: number, userId: number) =>
  Boolean(
    await db
      .select({ userId: channelMembers.userId })
      .from(channelMembers)
      .where(
        and(eq(channelMembers.applicationId, applicationId), eq(channelMembers.channelId, channelId), eq(channelMembers.userId, userId)),
      )
      .get(),
  );

/** Adds a member (already one: nothing changes); joining accepts their invite. */
/**
 * A new member's read marker: the channel's newest message (stompx-current.md §8.1), so joining a
 * channel with a history does not make all of it unread.
 */
export const newestMessageIdSql = (channelId: number | SQL | typeof channels.id) =>
  sql<number | null>`(select max(${messages.id}) from ${messages} where ${messages.channelId} = ${channelId})`;

export const addMember = (db: Db, applicationId: number, channelId: number, userId: number) =>
  db.batch([
    db
      .insert(channelMembers)
      .values({ applicationId, channelId, userId, lastReadMessageId: newestMessageIdSql(channelId) })
      .onConflictDoNothing(),
    withdrawInvitesQuery(db, applicationId, channelId, [userId]),
  ]);

/** Makes the user a moderator of the channel, and a member first when they are not one (accepting their invite). */
export const addModerator = (db: Db, applicationId: number, channelId: number, userId: number) =>
  db.batch([
    db
      .insert(channelMembers)
      .values({ applicationId, channelId, userId, isModerator: true, lastReadMessageId: newestMessageIdSql(channelId) })
      .onConflictDoUpdate({ target: [channelMembers.channelId, channelMembers.userId], set: { isModerator: true } }),
    withdrawInvitesQuery(db, applicationId, channelId, [userId]),
  ]);

/** Ends the user's moderator role (they stay a member); false when they were not a moderator. */
export const removeModerator = async (db: Db, applicationId: number, channelId: number, userId: number) =>
  (
    await db
      .update(channelMembers)
      .set({ isModerator: false })
      .where(
        and(
          eq(channelMembers.applicationId, applicationId),
          eq(channelMembers.channelId, channelId),
          eq(channelMembers.userId, userId),
          eq(channelMembers.isModerator, true),
        ),
      )
      .returning({ userId: channelMembers.userId })
  ).length > 0;

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

/** Up to `limit` ids of the channels the user is a member of. */
export const memberChannelIds = async (db: Db, applicationId: number, userId: number, limit: number) =>
  (
    await db
      .select({ id: channelMembers.channelId })
      .from(channelMembers)
      .where(and(eq(channelMembers.applicationId, applicationId), eq(channelMembers.userId, userId)))
      .limit(limit)
  ).map((r) => r.id);

/** The id of the newest message the member has read in the channel (their read marker); none: undefined. */
export const readMarker = async (db: Db, applicationId: number, channelId: number, userId: number) =>
  (
    await db
      .select({ id: channelMembers.lastReadMessageId })
      .from(channelMembers)
      .where(
        and(eq(channelMembers.applicationId, applicationId), eq(channelMembers.channelId, channelId), eq(channelMembers.userId, userId)),
      )
      .get()
  )?.id ?? undefined;

/**
 * Members of a channel to notify of a message from `senderId` (ids and names: names pick shards;
 * how they see the channel), bounded: not the sender, nor members who blocked the sender
 * (stompx-current.md §12.6).
 */
export const channelMembersToNotify = (db: Db, applicationId: number, channelId: number, senderId: number | null, limit: number) =>
  db
    .select({ id: users.id, name: users.name, muted: channelMembers.muted, isModerator: channelMembers.isModerator })
    .from(channelMembers)
    .innerJoin(users, eq(users.id, channelMembers.userId))
    .where(
      and(
        eq(channelMembers.applicationId, applicationId),
        eq(channelMembers.channelId, channelId),
        senderId === null ? undefined : ne(channelMembers.userId, senderId),
        senderId === null
          ? undefined
          : sql`not exists (select 1 from ${userBlocks} where ${userBlocks.userId} = ${channelMembers.userId}
              and ${userBlocks.blockedUserId} = ${senderId})`,
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

/**
 * Parameters one row of `addMembersQueries` binds: channel, user, application, the read marker's
 * channel, and the defaults of is_moderator, muted, hidden.
 */
const PARAMETERS_PER_MEMBER = 7;

/**
 * Statements that add many members, as `addMember` adds one (accepting their invites), for the
 * caller's batch (one transaction).
 */
export const addMembersQueries = (db: Db, applicationId: number, channelId: number, userIds: number[]) => {
  const chunks = chunked(userIds, Math.floor(MAX_BOUND_PARAMETERS / PARAMETERS_PER_MEMBER));
  return [
    ...chunks.map((chunk) =>
      db
        .insert(channelMembers)
        .values(chunk.map((userId) => ({ applicationId, channelId, userId, lastReadMessageId: newestMessageIdSql(channelId) })))
        .onConflictDoNothing(),
    ),
    ...chunks.map((chunk) => withdrawInvitesQuery(db, applicationId, channelId, chunk)),
  ];
};

/** Pairs per lookup: each binds a channel and a user, and the statement the application. */
const PAIRS_PER_LOOKUP = Math.floor((MAX_BOUND_PARAMETERS - 1) / 2);

/** Which of these (channel, user) pairs are memberships, as `${channelId}:${userId}`. */
export const membershipsAmong = async (db: Db, applicationId: number, pairs: { channelId: number; userId: number }[]) => {
  const [first, ...rest] = chunked(pairs, PAIRS_PER_LOOKUP).map((chunk) =>
    db
      .select({ channelId: channelMembers.channelId, userId: channelMembers.userId })
      .from(channelMembers)
      .where(
        and(
          eq(channelMembers.applicationId, applicationId),
          sql`(${channelMembers.channelId}, ${channelMembers.userId}) in (values ${sql.join(
            chunk.map((p) => sql`(${p.channelId}, ${p.userId})`),
            sql`, `,
          )})`,
        ),
      ),
  );
  if (!first) return new Set<string>();
  return new Set((await db.batch([first, ...rest])).flat().map((m) => `${m.channelId}:${m.userId}`));
};

/**
 * Moves the member's read marker forward to their own newest message in the channel, as sending a
 * message does (`markRead`); never backwards.
 */
export const markReadToOwnNewest = (db: Db, applicationId: number, channelId: number, userId: number) =>
  db
    .update(channelMembers)
    .set({
      // Newest first along (channel_id, id): the walk stops at their newest message, just written.
      lastReadMessageId: sql`max(coalesce(${channelMembers.lastReadMessageId}, 0), coalesce((select ${messages.id} from ${messages}
        where ${messages.channelId} = ${channelId} and ${messages.userId} = ${userId} order by ${messages.id} desc limit 1), 0))`,
    })
    .where(
      and(eq(channelMembers.applicationId, applicationId), eq(channelMembers.channelId, channelId), eq(channelMembers.userId, userId)),
    );

/** What the user is to each of these channels they belong to (moderator, muted), for presenting them; one round trip. */
export const channelViewers = async (db: Db, applicationId: number, userId: number, channelIds: number[]) => {
  const byChannel = new Map<number, { isModerator: boolean; muted: boolean }>();
  const [first, ...rest] = chunked([...new Set(channelIds)], IDS_PER_LOOKUP - 1).map((chunk) =>
    db
      .select({ channelId: channelMembers.channelId, isModerator: channelMembers.isModerator, muted: channelMembers.muted })
      .from(channelMembers)
      .where(
        and(eq(channelMembers.applicationId, applicationId), eq(channelMembers.userId, userId), inArray(channelMembers.channelId, chunk)),
      ),
  );
  if (!first) return byChannel;
  for (const { channelId, ...viewer } of (await db.batch([first, ...rest])).flat()) byChannel.set(channelId, viewer);
  return byChannel;
};
