/**
 * Channels, for both APIs and chat sessions. Every query is scoped to the application; those a
 * user makes also take the user, since what they may see depends on membership (`chat/rules.ts`).
 */
import { and, count, eq, inArray, ne, or, sql } from "drizzle-orm";
import { chunked, MAX_BOUND_PARAMETERS } from "../../db/chunks";
import type { Db } from "../../db/client";
import { applications, channelMembers, channels, messages, users, type ChannelType, type JsonObject } from "../../db/schema";
import { queueChannelFiles } from "../../files/deletions";
import { OPEN_TO_ALL } from "../rules";
import { findApplicationQuery } from "./applications";
import { isMemberSql, isNotMemberSql } from "./members";

const channelColumns = { id: channels.id, type: channels.type, name: channels.name, properties: channels.properties };
export interface ChannelRow {
  id: number;
  type: ChannelType;
  name: string;
  properties: JsonObject;
}
/** A channel as one user sees it. */
export interface VisibleChannel extends ChannelRow {
  isMember: boolean;
}

const viewedBy = (userId: number) => ({ ...channelColumns, isMember: sql<boolean>`${isMemberSql(userId)}`.mapWith(Boolean) });

/** SQL: the channel is one the user may see (open to all, or theirs). */
const visibleTo = (userId: number) => or(inArray(channels.type, [...OPEN_TO_ALL]), isMemberSql(userId));

export const findChannelQuery = (db: Db, applicationId: number, channelId: number) =>
  db
    .select(channelColumns)
    .from(channels)
    .where(and(eq(channels.applicationId, applicationId), eq(channels.id, channelId)));

export const findChannel = (db: Db, applicationId: number, channelId: number): Promise<ChannelRow | undefined> =>
  findChannelQuery(db, applicationId, channelId).get();

/** A channel as this user may see it (undefined when it does not exist or is PRIVATE to others). */
export const findVisibleChannel = (db: Db, applicationId: number, userId: number, channelId: number) =>
  db
    .select(viewedBy(userId))
    .from(channels)
    .where(and(eq(channels.applicationId, applicationId), eq(channels.id, channelId), visibleTo(userId)))
    .get() as Promise<VisibleChannel | undefined>;

/** Users per member insert: the statement also binds the application id and the key. */
const MEMBERS_PER_INSERT = MAX_BOUND_PARAMETERS - 2;

/**
 * Adds the given users (of the application) to the channel with this `direct_key`: one
 * statement per chunk of users, so that all of them can sit in the same batch as the channel's
 * insert (one transaction: the channel never exists without its members).
 */
const insertMembersOfKeyedChannel = (db: Db, applicationId: number, key: string, userIds: number[]) =>
  chunked(userIds, MEMBERS_PER_INSERT).map((chunk) =>
    db
      .insert(channelMembers)
      .select((qb) =>
        qb
          .select({
            channelId: sql<number>`${channels.id}`.as("channel_id"),
            userId: sql<number>`${users.id}`.as("user_id"),
            applicationId: sql<number>`${channels.applicationId}`.as("application_id"),
            lastReadMessageId: sql<null>`null`.as("last_read_message_id"),
            // The column's own default (the SQLite clock), as a plain insert would use.
            createdAt: sql<Date>`${channelMembers.createdAt.default}`.as("created_at"),
          })
          .from(channels)
          .innerJoin(users, and(eq(users.applicationId, channels.applicationId), inArray(users.id, chunk)))
          .where(and(eq(channels.applicationId, applicationId), eq(channels.directKey, key))),
      )
      .onConflictDoNothing(),
  );

/** Creates a channel and its initial members in one batch ("" stands for "no name"). */
export const insertChannel = async (
  db: Db,
  applicationId: number,
  type: ChannelType,
  name: string | undefined,
  memberIds: number[] = [],
  properties: JsonObject = {},
) => {
  if (memberIds.length === 0) {
    return db
      .insert(channels)
      .values({ applicationId, type, name: name ?? "", properties })
      .returning(channelColumns)
      .get();
  }
  // The members find the new channel by a key only this insert knows, so both go in one batch.
  const marker = `new:${crypto.randomUUID()}`;
  const [[channel]] = await db.batch([
    db
      .insert(channels)
      .values({ applicationId, type, name: name ?? "", directKey: marker, properties })
      .returning(channelColumns),
    ...insertMembersOfKeyedChannel(db, applicationId, marker, memberIds),
    db
      .update(channels)
      .set({ directKey: null })
      .where(and(eq(channels.applicationId, applicationId), eq(channels.directKey, marker))),
  ]);
  return channel!;
};

/**
 * The DIRECT channel of exactly these users, created with its members unless it exists. The
 * unique (application, sorted member ids) index makes concurrent creates of one set agree.
 */
export const findOrCreateDirectChannel = async (db: Db, applicationId: number, name: string | undefined, memberIds: number[]) => {
  const directKey = [...new Set(memberIds)].sort((a, b) => a - b).join(",");
  const [inserted, [channel]] = await db.batch([
    db
      .insert(channels)
      .values({ applicationId, type: "DIRECT", name: name ?? "", directKey })
      .onConflictDoNothing()
      .returning({ id: channels.id }),
    db
      .select(channelColumns)
      .from(channels)
      .where(and(eq(channels.applicationId, applicationId), eq(channels.directKey, directKey))),
    ...insertMembersOfKeyedChannel(db, applicationId, directKey, memberIds),
  ]);
  return { channel: channel!, created: inserted.length > 0 };
};

const pageWithTotal = async (db: Db, where: ReturnType<typeof and>, offset: number, limit: number, applicationId: number) => {
  const [rows, [total]] = await db.batch([
    db.select(channelColumns).from(channels).where(where).orderBy(channels.id).limit(limit).offset(offset),
    db.select({ n: applications.channelCount }).from(applications).where(eq(applications.id, applicationId)),
  ]);
  return { rows, total: total?.n ?? 0 };
};

const pageOf = async (db: Db, where: ReturnType<typeof and>, offset: number, limit: number) => {
  const [rows, [total]] = await db.batch([
    db.select(channelColumns).from(channels).where(where).orderBy(channels.id).limit(limit).offset(offset),
    db.select({ n: count() }).from(channels).where(where),
  ]);
  return { rows, total: total?.n ?? 0 };
};

export interface ChannelFilter {
  /** true: only DIRECT channels; false: none of them. */
  direct?: boolean;
  /**
   * User names that must all be members. Bound in one `IN (…)` (all of them must match in the
   * same group): the query schema allows at most 10, far below MAX_BOUND_PARAMETERS.
   */
  memberNames?: string[];
}

export const listChannelsPage = (db: Db, applicationId: number, offset: number, limit: number, filter: ChannelFilter = {}) =>
  filter.direct === undefined && !filter.memberNames?.length
    ? // Unfiltered: the trigger-kept counter is the total (one row read at any size).
      pageWithTotal(db, eq(channels.applicationId, applicationId), offset, limit, applicationId)
    : pageOf(db, channelFilter(db, applicationId, filter), offset, limit);

const channelFilter = (db: Db, applicationId: number, filter: ChannelFilter) =>
  and(
    eq(channels.applicationId, applicationId),
    filter.direct === undefined ? undefined : filter.direct ? eq(channels.type, "DIRECT") : ne(channels.type, "DIRECT"),
    filter.memberNames?.length
      ? inArray(
          channels.id,
          db
            .select({ id: channelMembers.channelId })
            .from(channelMembers)
            .innerJoin(users, eq(users.id, channelMembers.userId))
            .where(and(eq(channelMembers.applicationId, applicationId), inArray(users.name, filter.memberNames)))
            .groupBy(channelMembers.channelId)
            .having(sql`count(distinct ${users.id}) = ${filter.memberNames.length}`),
        )
      : undefined,
  );

/** The channels a user has joined or can join: every OPEN and PUBLIC one, and PRIVATE and DIRECT ones they belong to. */
export const listUserChannelsPage = (db: Db, applicationId: number, userId: number, offset: number, limit: number) =>
  pageOf(
    db,
    and(
      eq(channels.applicationId, applicationId),
      or(
        inArray(channels.type, [...OPEN_TO_ALL]),
        inArray(channels.id, db.select({ id: channelMembers.channelId }).from(channelMembers).where(eq(channelMembers.userId, userId))),
      ),
    ),
    offset,
    limit,
  );

/**
 * Deletes a channel; its messages and memberships go with it through ON DELETE CASCADE, in the
 * same statement, so no reader ever sees a half-deleted channel, and the deletion of its stored
 * files is recorded in the same transaction (files/deletions.ts). Returns the deleted channel,
 * the application and the file-deletion record to carry out.
 */
export const deleteChannel = async (db: Db, applicationId: number, channelId: number) => {
  const [queued, deleted, [app]] = await db.batch([
    queueChannelFiles(db, applicationId, channelId),
    db
      .delete(channels)
      .where(and(eq(channels.applicationId, applicationId), eq(channels.id, channelId)))
      .returning(channelColumns),
    findApplicationQuery(db, applicationId),
  ]);
  return { deleted: deleted[0], app, fileDeletions: queued };
};

/** A message newer than the member's read marker, not sent by the member themself. */
const hasUnread = (userId: number) =>
  sql`exists (select 1 from ${messages} where ${messages.channelId} = ${channels.id}
    and ${messages.id} > coalesce((select ${channelMembers.lastReadMessageId} from ${channelMembers}
      where ${channelMembers.channelId} = ${channels.id} and ${channelMembers.userId} = ${userId}), 0)
    and (${messages.userId} is null or ${messages.userId} != ${userId}))`;

/** The lists a chat session pages through: channels joined, channels to join, channels with unread messages. */
export type ChannelListKind = "member" | "joinable" | "unread";

const listFilter = (kind: ChannelListKind, userId: number) =>
  kind === "member"
    ? isMemberSql(userId)
    : kind === "joinable"
      ? and(inArray(channels.type, [...OPEN_TO_ALL]), isNotMemberSql(userId))
      : and(isMemberSql(userId), hasUnread(userId));

/** A numbered page of the user's channels of one kind, with the total. */
export const listChannelsOfUser = async (
  db: Db,
  applicationId: number,
  userId: number,
  kind: ChannelListKind,
  offset: number,
  limit: number,
) => {
  const where = and(eq(channels.applicationId, applicationId), listFilter(kind, userId));
  const [rows, [total]] = await db.batch([
    db.select(viewedBy(userId)).from(channels).where(where).orderBy(channels.id).limit(limit).offset(offset),
    db.select({ n: count() }).from(channels).where(where),
  ]);
  return { rows: rows as VisibleChannel[], total: total?.n ?? 0 };
};

export const countUnreadChannels = async (db: Db, applicationId: number, userId: number) =>
  (
    await db
      .select({ n: count() })
      .from(channels)
      .where(and(eq(channels.applicationId, applicationId), listFilter("unread", userId)))
      .get()
  )?.n ?? 0;

export const channelHasUnread = async (db: Db, applicationId: number, userId: number, channelId: number) =>
  Boolean(
    await db
      .select({ id: channels.id })
      .from(channels)
      .where(and(eq(channels.applicationId, applicationId), eq(channels.id, channelId), isMemberSql(userId), hasUnread(userId)))
      .get(),
  );

/**
 * Joins a channel open to all (joining twice is not an error), in one round trip; false, joining
 * nothing, for any other channel.
 */
export const joinChannel = async (db: Db, applicationId: number, userId: number, channelId: number) => {
  const joinable = and(eq(channels.applicationId, applicationId), eq(channels.id, channelId), inArray(channels.type, [...OPEN_TO_ALL]));
  const [, found] = await db.batch([
    db
      .insert(channelMembers)
      .select((qb) =>
        qb
          .select({
            channelId: sql<number>`${channels.id}`.as("channel_id"),
            userId: sql<number>`${userId}`.as("user_id"),
            applicationId: sql<number>`${channels.applicationId}`.as("application_id"),
            lastReadMessageId: sql<null>`null`.as("last_read_message_id"),
            createdAt: sql<Date>`${channelMembers.createdAt.default}`.as("created_at"),
          })
          .from(channels)
          .where(joinable),
      )
      .onConflictDoNothing(),
    db.select({ id: channels.id }).from(channels).where(joinable),
  ]);
  return found.length > 0;
};
