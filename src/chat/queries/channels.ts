/**
 * Channels, for both APIs and chat sessions. Every query is scoped to the application; those a
 * user makes also take the user, since what they may see depends on membership (`chat/rules.ts`).
 */
import { and, asc, count, desc, eq, gte, inArray, lte, ne, or, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { chunked, MAX_BOUND_PARAMETERS } from "../../db/chunks";
import type { Db } from "../../db/client";
import {
  applications,
  CHANNEL_TYPES,
  channelMembers,
  channels,
  messageHides,
  messages,
  userBlocks,
  users,
  type ChannelType,
  type JsonObject,
} from "../../db/schema";
import { queueChannelFiles } from "../../files/deletions";
import { LISTED_IN_CURRENT_FORM, OPEN_TO_ALL } from "../rules";
import { findApplicationQuery } from "./applications";
import { propertiesContain } from "./properties";
import { isMemberSql, isNotMemberSql, newestMessageIdSql } from "./members";

export const channelColumns = {
  id: channels.id,
  type: channels.type,
  name: channels.name,
  displayName: channels.displayName,
  creatorId: channels.creatorId,
  properties: channels.properties,
  createdAt: channels.createdAt,
};
export interface ChannelRow {
  id: number;
  type: ChannelType;
  name: string;
  /** null: same as the name. */
  displayName: string | null;
  creatorId: number | null;
  properties: JsonObject;
  createdAt: Date;
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
            // Positional: every column of the table, in its order.
            isModerator: sql<boolean>`0`.as("is_moderator"),
            // The column's own default (the SQLite clock), as a plain insert would use.
            createdAt: sql<Date>`${channelMembers.createdAt.default}`.as("created_at"),
            lastReadAt: sql<null>`null`.as("last_read_at"),
            muted: sql<boolean>`0`.as("muted"),
            hidden: sql<boolean>`0`.as("hidden"),
            clearedThroughId: sql<null>`null`.as("cleared_through_id"),
          })
          .from(channels)
          .innerJoin(users, and(eq(users.applicationId, channels.applicationId), inArray(users.id, chunk)))
          .where(and(eq(channels.applicationId, applicationId), eq(channels.directKey, key))),
      )
      .onConflictDoNothing(),
  );

/** What a new channel may carry besides its type, name and members. */
export interface ChannelDetails {
  displayName?: string | undefined;
  creatorId?: number | undefined;
  properties?: JsonObject | undefined;
}

/** A DIRECT channel's `direct_key`: its distinct member ids, sorted. */
export const directKeyOf = (memberIds: number[]) => [...new Set(memberIds)].sort((a, b) => a - b).join(",");

/** A new channel: its type, name ("" or undefined: none), initial members (users of the application) and details. */
export interface ChannelInsert {
  type: ChannelType;
  name: string | undefined;
  memberIds: number[];
  details?: ChannelDetails | undefined;
}

/**
 * Statements that create a channel with its members, for one batch (one transaction: the channel
 * never exists without its members). The members find the channel by its `direct_key`: a DIRECT
 * channel's own (a set of users that has a channel already fails the batch, UNIQUE), or a marker
 * only this create knows, cleared at the end. `afterInsert` runs right after the channel's insert,
 * while `last_insert_rowid()` is the new channel's id.
 */
export const createChannelQueries = (
  db: Db,
  applicationId: number,
  { type, name, memberIds, details = {} }: ChannelInsert,
  afterInsert: BatchItem<"sqlite">[] = [],
) => {
  const key = type === "DIRECT" ? directKeyOf(memberIds) : `new:${crypto.randomUUID()}`;
  return [
    db
      .insert(channels)
      .values({ applicationId, type, name: name ?? "", directKey: key, ...details })
      .returning(channelColumns),
    ...afterInsert,
    ...insertMembersOfKeyedChannel(db, applicationId, key, memberIds),
    ...(type === "DIRECT"
      ? []
      : [
          db
            .update(channels)
            .set({ directKey: null })
            .where(and(eq(channels.applicationId, applicationId), eq(channels.directKey, key))),
        ]),
  ] as const;
};

/** Creates a channel and its initial members in one batch ("" stands for "no name"). */
export const insertChannel = async (
  db: Db,
  applicationId: number,
  type: ChannelType,
  name: string | undefined,
  memberIds: number[] = [],
  details: ChannelDetails = {},
): Promise<ChannelRow> => {
  const values = { applicationId, type, name: name ?? "", ...details };
  if (memberIds.length === 0) {
    return db.insert(channels).values(values).returning(channelColumns).get();
  }
  const [insert, ...rest] = createChannelQueries(db, applicationId, { type, name, memberIds, details });
  const [[channel]] = await db.batch([insert, ...rest]);
  return channel!;
};

/**
 * The DIRECT channel of exactly these users, created with its members unless it exists. The
 * unique (application, sorted member ids) index makes concurrent creates of one set agree.
 */
export const findOrCreateDirectChannel = async (
  db: Db,
  applicationId: number,
  name: string | undefined,
  memberIds: number[],
  details: ChannelDetails = {},
) => {
  const directKey = directKeyOf(memberIds);
  const [inserted, [channel]] = await db.batch([
    db
      .insert(channels)
      .values({ applicationId, type: "DIRECT", name: name ?? "", directKey, ...details })
      .onConflictDoNothing()
      .returning({ id: channels.id }),
    db
      .select(channelColumns)
      .from(channels)
      .where(and(eq(channels.applicationId, applicationId), eq(channels.directKey, directKey))),
    ...insertMembersOfKeyedChannel(db, applicationId, directKey, memberIds),
  ]);
  return { channel: channel as ChannelRow, created: inserted.length > 0 };
};

/** Keys per lookup: the statement also binds the application id. */
const KEYS_PER_LOOKUP = MAX_BOUND_PARAMETERS - 1;

/** Which of these DIRECT channel keys (`directKeyOf`) have a channel already. */
export const takenDirectKeys = async (db: Db, applicationId: number, keys: string[]): Promise<Set<string>> => {
  const [first, ...rest] = chunked([...new Set(keys)], KEYS_PER_LOOKUP).map((chunk) =>
    db
      .select({ key: channels.directKey })
      .from(channels)
      .where(and(eq(channels.applicationId, applicationId), inArray(channels.directKey, chunk))),
  );
  if (!first) return new Set();
  return new Set((await db.batch([first, ...rest])).flat().map((row) => row.key ?? ""));
};

/** The application's channels of these ids (those that exist). */
export const findChannelsByIds = async (db: Db, applicationId: number, ids: number[]): Promise<ChannelRow[]> => {
  const [first, ...rest] = chunked([...new Set(ids)], KEYS_PER_LOOKUP).map((chunk) =>
    db
      .select(channelColumns)
      .from(channels)
      .where(and(eq(channels.applicationId, applicationId), inArray(channels.id, chunk))),
  );
  if (!first) return [];
  return (await db.batch([first, ...rest])).flat() as ChannelRow[];
};

/** What lists of channels may be ordered by. */
export type ChannelSortProperty = "id" | "name" | "createdTime";
export const CHANNEL_SORT_PROPERTIES: readonly ChannelSortProperty[] = ["id", "name", "createdTime"];
const CHANNEL_SORT_COLUMNS = { id: channels.id, name: channels.name, createdTime: channels.createdAt };
export type ChannelSort = { property: ChannelSortProperty; descending: boolean }[];

/** The order of a page: the given criteria, then id (ascending unless given), so pages never overlap. */
const channelOrder = (sort: ChannelSort = []) => [
  ...sort.map((o) => (o.descending ? desc : asc)(CHANNEL_SORT_COLUMNS[o.property])),
  ...(sort.some((o) => o.property === "id") ? [] : [asc(channels.id)]),
];

const pageWithTotal = async (db: Db, where: ReturnType<typeof and>, offset: number, limit: number, applicationId: number) => {
  const [rows, [total]] = await db.batch([
    db.select(channelColumns).from(channels).where(where).orderBy(channels.id).limit(limit).offset(offset),
    db.select({ n: applications.channelCount }).from(applications).where(eq(applications.id, applicationId)),
  ]);
  return { rows: rows as ChannelRow[], total: total?.n ?? 0 };
};

const pageOf = async (db: Db, where: ReturnType<typeof and>, offset: number, limit: number, sort?: ChannelSort) => {
  const [rows, [total]] = await db.batch([
    db
      .select(channelColumns)
      .from(channels)
      .where(where)
      .orderBy(...channelOrder(sort))
      .limit(limit)
      .offset(offset),
    db.select({ n: count() }).from(channels).where(where),
  ]);
  return { rows: rows as ChannelRow[], total: total?.n ?? 0 };
};

export interface ChannelFilter {
  /** true: only DIRECT channels; false: none of them. */
  direct?: boolean | undefined;
  /** Only channels of these types. */
  types?: readonly ChannelType[] | undefined;
  /**
   * User names that must all be members. Bound in one `IN (…)` (all of them must match in the
   * same group): the query schemas allow at most 10, far below MAX_BOUND_PARAMETERS.
   */
  memberNames?: string[] | undefined;
  /** With `memberNames`: no other members either (the direct conversation of exactly those users). */
  onlyThoseMembers?: boolean | undefined;
  /** Created at or after / at or before. */
  createdFrom?: Date | undefined;
  createdTo?: Date | undefined;
  /** Only channels whose properties hold each of these entries. */
  properties?: JsonObject | undefined;
  sort?: ChannelSort | undefined;
}

const isUnfiltered = ({ direct, types, memberNames, createdFrom, createdTo, properties, sort }: ChannelFilter) =>
  direct === undefined &&
  types === undefined &&
  !memberNames?.length &&
  !createdFrom &&
  !createdTo &&
  !(properties && Object.keys(properties).length > 0) &&
  !sort?.length;

export const listChannelsPage = (db: Db, applicationId: number, offset: number, limit: number, filter: ChannelFilter = {}) =>
  isUnfiltered(filter)
    ? // Unfiltered: the trigger-kept counter is the total (one row read at any size).
      pageWithTotal(db, eq(channels.applicationId, applicationId), offset, limit, applicationId)
    : pageOf(db, channelFilter(db, applicationId, filter), offset, limit, filter.sort);

const memberCount = sql`(select count(*) from ${channelMembers} where ${channelMembers.channelId} = ${channels.id})`;

const channelFilter = (db: Db, applicationId: number, filter: ChannelFilter) =>
  and(
    eq(channels.applicationId, applicationId),
    filter.direct === undefined ? undefined : filter.direct ? eq(channels.type, "DIRECT") : ne(channels.type, "DIRECT"),
    filter.types ? inArray(channels.type, [...filter.types]) : undefined,
    filter.createdFrom ? gte(channels.createdAt, filter.createdFrom) : undefined,
    filter.createdTo ? lte(channels.createdAt, filter.createdTo) : undefined,
    propertiesContain(channels.properties, filter.properties),
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
    filter.memberNames?.length && filter.onlyThoseMembers ? sql`${memberCount} = ${filter.memberNames.length}` : undefined,
  );

/**
 * Which of a user's channels a list shows. The 2020 form lists those the user has joined or can
 * join: every OPEN and PUBLIC one, and the PRIVATE and DIRECT ones they belong to. The current
 * form lists those they created or joined: a creator is a member, so their memberships, and never
 * an OPEN channel (its type is outside the current form's document).
 */
export type UserChannelsScope = "joined-or-joinable" | "joined";

const userChannelsWhere = (db: Db, applicationId: number, userId: number, scope: UserChannelsScope) => {
  const memberOf = inArray(
    channels.id,
    db.select({ id: channelMembers.channelId }).from(channelMembers).where(eq(channelMembers.userId, userId)),
  );
  return and(
    eq(channels.applicationId, applicationId),
    scope === "joined-or-joinable"
      ? or(inArray(channels.type, [...OPEN_TO_ALL]), memberOf)
      : and(memberOf, inArray(channels.type, [...LISTED_IN_CURRENT_FORM])),
  );
};

/** A numbered page of a user's channels, with the total; ascending id unless sorted. */
export const listUserChannelsPage = (
  db: Db,
  applicationId: number,
  userId: number,
  offset: number,
  limit: number,
  { scope = "joined-or-joinable", sort }: { scope?: UserChannelsScope; sort?: ChannelSort | undefined } = {},
) => pageOf(db, userChannelsWhere(db, applicationId, userId, scope), offset, limit, sort);

/** What the Platform API may change on a channel. */
export interface ChannelChanges {
  displayName?: string | null;
  properties?: JsonObject;
  /** A JSON merge patch (RFC 7396) of `properties`, applied by SQLite's `json_patch` in the update itself. */
  propertiesPatch?: JsonObject;
}

/** Applies `changes`; undefined when there is no such channel. */
export const updateChannel = (db: Db, applicationId: number, channelId: number, changes: ChannelChanges) => {
  const { propertiesPatch, ...set } = changes;
  return db
    .update(channels)
    .set(propertiesPatch ? { ...set, properties: sql`json_patch(${channels.properties}, ${JSON.stringify(propertiesPatch)})` } : set)
    .where(and(eq(channels.applicationId, applicationId), eq(channels.id, channelId)))
    .returning(channelColumns)
    .get() as Promise<ChannelRow | undefined>;
};

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

/**
 * A message newer than the member's read marker, not sent by the member themself, that they see:
 * not deleted for them, not from a user they blocked (as message-views.ts counts messages; a
 * cleared history moved the marker past what it cleared).
 */
const hasUnread = (userId: number) =>
  sql`exists (select 1 from ${messages} where ${messages.channelId} = ${channels.id}
    and ${messages.id} > coalesce((select ${channelMembers.lastReadMessageId} from ${channelMembers}
      where ${channelMembers.channelId} = ${channels.id} and ${channelMembers.userId} = ${userId}), 0)
    and (${messages.userId} is null or (${messages.userId} != ${userId} and not exists (select 1 from ${userBlocks}
      where ${userBlocks.userId} = ${userId} and ${userBlocks.blockedUserId} = ${messages.userId})))
    and not exists (select 1 from ${messageHides} where ${messageHides.userId} = ${userId} and ${messageHides.messageId} = ${messages.id}))`;

/** The lists a chat session pages through: channels joined, channels to join, channels with unread messages. */
export type ChannelListKind = "member" | "joinable" | "unread";

const listFilter = (kind: ChannelListKind, userId: number) =>
  kind === "member"
    ? and(isMemberSql(userId), notHiddenBy(userId))
    : kind === "joinable"
      ? and(inArray(channels.type, [...OPEN_TO_ALL]), isNotMemberSql(userId))
      : and(isMemberSql(userId), hasUnread(userId));

/** A channel the member hid is out of their channel list until a new message unhides it. */
const notHiddenBy = (userId: number) =>
  sql`not exists (select 1 from ${channelMembers} where ${channelMembers.channelId} = ${channels.id}
    and ${channelMembers.userId} = ${userId} and ${channelMembers.hidden} = 1)`;

/** Filters of the current dialect's channel lists. */
export interface ChannelListOptions {
  /** Channels whose name contains this, ignoring case. */
  name?: string | undefined;
  /** Channels of this type (other values are ignored). */
  type?: string | undefined;
}

const optionsFilter = ({ name, type }: ChannelListOptions) =>
  and(
    name ? sql`instr(lower(${channels.name}), lower(${name})) > 0` : undefined,
    type && (CHANNEL_TYPES as readonly string[]).includes(type) ? eq(channels.type, type as ChannelType) : undefined,
  );

/** A numbered page of the user's channels of one kind, with the total. */
export const listChannelsOfUser = async (
  db: Db,
  applicationId: number,
  userId: number,
  kind: ChannelListKind,
  offset: number,
  limit: number,
  options: ChannelListOptions = {},
) => {
  const where = and(eq(channels.applicationId, applicationId), listFilter(kind, userId), optionsFilter(options));
  const [rows, [total]] = await db.batch([
    db.select(viewedBy(userId)).from(channels).where(where).orderBy(channels.id).limit(limit).offset(offset),
    db.select({ n: count() }).from(channels).where(where),
  ]);
  return { rows: rows as VisibleChannel[], total: total?.n ?? 0 };
};

/** Member channels with an unread message (of one type, when `type` names one). */
export const countUnreadChannels = async (db: Db, applicationId: number, userId: number, type?: string) =>
  (
    await db
      .select({ n: count() })
      .from(channels)
      .where(and(eq(channels.applicationId, applicationId), listFilter("unread", userId), optionsFilter({ type })))
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
            lastReadMessageId: sql<number | null>`${newestMessageIdSql(channels.id)}`.as("last_read_message_id"),
            isModerator: sql<boolean>`0`.as("is_moderator"),
            createdAt: sql<Date>`${channelMembers.createdAt.default}`.as("created_at"),
            lastReadAt: sql<null>`null`.as("last_read_at"),
            muted: sql<boolean>`0`.as("muted"),
            hidden: sql<boolean>`0`.as("hidden"),
            clearedThroughId: sql<null>`null`.as("cleared_through_id"),
          })
          .from(channels)
          .where(joinable),
      )
      .onConflictDoNothing(),
    db.select({ id: channels.id }).from(channels).where(joinable),
  ]);
  return found.length > 0;
};
