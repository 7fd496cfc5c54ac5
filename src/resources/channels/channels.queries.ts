import { and, count, eq, inArray, ne, or, sql } from "drizzle-orm";
import { chunked, MAX_BOUND_PARAMETERS } from "../../db/chunks";
import type { Db } from "../../db/client";
import { applications, channelMembers, channels, users, type ChannelType, type JsonObject } from "../../db/schema";
import { chatUserColumns, type ChatUserRow } from "../../realtime/chat.queries";
import { queueChannelFiles } from "../../files/deletions";
import { findApplicationQuery } from "../applications/applications.queries";

const channelColumns = { id: channels.id, type: channels.type, name: channels.name };
export type ChannelView = { id: number; type: ChannelType; name: string };

export const findChannelQuery = (db: Db, applicationId: number, channelId: number) =>
  db
    .select(channelColumns)
    .from(channels)
    .where(and(eq(channels.applicationId, applicationId), eq(channels.id, channelId)));

export const findChannel = (db: Db, applicationId: number, channelId: number) =>
  findChannelQuery(db, applicationId, channelId).get();

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
    return db.insert(channels).values({ applicationId, type, name: name ?? "", properties }).returning(channelColumns).get();
  }
  // The members find the new channel by a key only this insert knows, so both go in one batch.
  const marker = `new:${crypto.randomUUID()}`;
  const [[channel]] = await db.batch([
    db.insert(channels).values({ applicationId, type, name: name ?? "", directKey: marker, properties }).returning(channelColumns),
    ...insertMembersOfKeyedChannel(db, applicationId, marker, memberIds),
    db.update(channels).set({ directKey: null }).where(and(eq(channels.applicationId, applicationId), eq(channels.directKey, marker))),
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
    db.select(channelColumns).from(channels).where(and(eq(channels.applicationId, applicationId), eq(channels.directKey, directKey))),
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
    : pageOf(
    db,
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
    ),
    offset,
    limit,
  );

/** A numbered page of a channel's members (ascending user id), with the total; for both APIs. */
export const listMembersPage = async (db: Db, applicationId: number, channelId: number, offset: number, limit: number) => {
  const where = and(eq(channelMembers.applicationId, applicationId), eq(channelMembers.channelId, channelId));
  const [rows, [total]] = await db.batch([
    db
      .select(chatUserColumns)
      .from(channelMembers)
      .innerJoin(users, eq(users.id, channelMembers.userId))
      .where(where)
      .orderBy(users.id)
      .limit(limit)
      .offset(offset),
    db.select({ n: count() }).from(channelMembers).where(where),
  ]);
  return { rows: rows as ChatUserRow[], total: total?.n ?? 0 };
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
        and(
          eq(channelMembers.applicationId, applicationId),
          eq(channelMembers.channelId, channelId),
          eq(channelMembers.userId, userId),
        ),
      )
      .returning({ userId: channelMembers.userId }),
    db.select({ id: users.id, name: users.name }).from(users).where(and(eq(users.applicationId, applicationId), eq(users.id, userId))),
  ]);
  return removed.length > 0 ? user : undefined;
};

/** The channels a user has joined or can join: every OPEN and PUBLIC one, and PRIVATE and DIRECT ones they belong to. */
export const listUserChannelsPage = (db: Db, applicationId: number, userId: number, offset: number, limit: number) =>
  pageOf(
    db,
    and(
      eq(channels.applicationId, applicationId),
      or(
        inArray(channels.type, ["OPEN", "PUBLIC"]),
        inArray(
          channels.id,
          db.select({ id: channelMembers.channelId }).from(channelMembers).where(eq(channelMembers.userId, userId)),
        ),
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
