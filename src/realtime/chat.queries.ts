/**
 * D1 queries of chat sessions. Like every query here they take the application id, and the
 * viewing user where visibility depends on membership: OPEN and PUBLIC channels are visible to
 * every user of the application, PRIVATE ones only to their members.
 */
import { and, count, desc, eq, inArray, lte, ne, or, sql } from "drizzle-orm";
import { chunked, MAX_BOUND_PARAMETERS } from "../db/chunks";
import type { Db } from "../db/client";
import { applications, channelMembers, channels, messages, users, type ChannelType, type JsonObject, type StoredFile } from "../db/schema";

export const chatUserColumns = {
  id: users.id,
  name: users.name,
  displayName: users.displayName,
  displayPictureUrl: users.displayPictureUrl,
  isGuest: users.isGuest,
  properties: users.properties,
};
export type ChatUserRow = {
  id: number;
  name: string;
  displayName: string | null;
  displayPictureUrl: string | null;
  isGuest: boolean;
  properties: JsonObject;
};

export const findApplicationByKey = (db: Db, key: string) =>
  db
    .select({ id: applications.id, requireAuthenticatedSessions: applications.requireAuthenticatedSessions })
    .from(applications)
    .where(eq(applications.key, key))
    .get();

export const findChatUser = (db: Db, applicationId: number, userId: number) =>
  db.select(chatUserColumns).from(users).where(and(eq(users.applicationId, applicationId), eq(users.id, userId))).get();

/**
 * The user with this name, created as a guest when the application does not know it yet. The
 * unique index settles concurrent first sessions of one name: both end up with the same row.
 */
export const findOrCreateGuest = async (db: Db, applicationId: number, name: string): Promise<ChatUserRow> => {
  const byName = () =>
    db.select(chatUserColumns).from(users).where(and(eq(users.applicationId, applicationId), eq(users.name, name))).get();
  const existing = await byName();
  if (existing) return existing;
  await db.insert(users).values({ applicationId, name, isGuest: true }).onConflictDoNothing();
  const created = await byName();
  if (!created) throw new Error("guest user vanished after insert");
  return created;
};

export const updateChatUser = (
  db: Db,
  applicationId: number,
  userId: number,
  changes: { displayName?: string | null; displayPictureUrl?: string | null; properties?: JsonObject },
) =>
  db
    .update(users)
    .set(changes)
    .where(and(eq(users.applicationId, applicationId), eq(users.id, userId)))
    .returning(chatUserColumns)
    .get();

export interface ChatChannelRow {
  id: number;
  type: ChannelType;
  name: string;
  properties: JsonObject;
  isMember: boolean;
}

const channelColumns = (userId: number) => ({
  id: channels.id,
  type: channels.type,
  name: channels.name,
  properties: channels.properties,
  isMember: sql<boolean>`exists (${memberRow(userId)})`.mapWith(Boolean),
});

const memberRow = (userId: number) =>
  sql`select 1 from ${channelMembers} where ${channelMembers.channelId} = ${channels.id} and ${channelMembers.userId} = ${userId}`;
// Drizzle's exists() does not parenthesize a raw subquery; SQLite needs `exists (select …)`.
const isMember = (userId: number) => sql`exists (${memberRow(userId)})`;

const visibleTo = (userId: number) => or(inArray(channels.type, ["OPEN", "PUBLIC"]), isMember(userId));

/** A channel as this user may see it (undefined when it does not exist or is PRIVATE to others). */
export const findVisibleChannel = (db: Db, applicationId: number, userId: number, channelId: number) =>
  db
    .select(channelColumns(userId))
    .from(channels)
    .where(and(eq(channels.applicationId, applicationId), eq(channels.id, channelId), visibleTo(userId)))
    .get() as Promise<ChatChannelRow | undefined>;

/** A message newer than the member's read marker, not sent by the member themself. */
const hasUnread = (userId: number) =>
  sql`exists (select 1 from ${messages} where ${messages.channelId} = ${channels.id}
    and ${messages.id} > coalesce((select ${channelMembers.lastReadMessageId} from ${channelMembers}
      where ${channelMembers.channelId} = ${channels.id} and ${channelMembers.userId} = ${userId}), 0)
    and (${messages.userId} is null or ${messages.userId} != ${userId}))`;

export type ChannelListKind = "member" | "joinable" | "unread";

const listFilter = (kind: ChannelListKind, userId: number) =>
  kind === "member"
    ? isMember(userId)
    : kind === "joinable"
      ? and(inArray(channels.type, ["OPEN", "PUBLIC"]), sql`not exists (${memberRow(userId)})`)
      : and(isMember(userId), hasUnread(userId));

/** A numbered page of the user's channels of one kind, with the total. */
export const listChatChannels = async (
  db: Db,
  applicationId: number,
  userId: number,
  kind: ChannelListKind,
  offset: number,
  limit: number,
) => {
  const where = and(eq(channels.applicationId, applicationId), listFilter(kind, userId));
  const [rows, [total]] = await db.batch([
    db.select(channelColumns(userId)).from(channels).where(where).orderBy(channels.id).limit(limit).offset(offset),
    db.select({ n: count() }).from(channels).where(where),
  ]);
  return { rows: rows as ChatChannelRow[], total: total?.n ?? 0 };
};

export const countUnreadChannels = async (db: Db, applicationId: number, userId: number) =>
  (await db.select({ n: count() }).from(channels).where(and(eq(channels.applicationId, applicationId), listFilter("unread", userId))).get())?.n ?? 0;

export const channelHasUnread = async (db: Db, applicationId: number, userId: number, channelId: number) =>
  Boolean(
    await db
      .select({ id: channels.id })
      .from(channels)
      .where(and(eq(channels.applicationId, applicationId), eq(channels.id, channelId), isMember(userId), hasUnread(userId)))
      .get(),
  );

/** Joins OPEN and PUBLIC channels; joining twice is not an error. Returns false for others. */
export const joinChannel = async (db: Db, applicationId: number, userId: number, channelId: number) => {
  const channel = await db
    .select({ type: channels.type })
    .from(channels)
    .where(and(eq(channels.applicationId, applicationId), eq(channels.id, channelId)))
    .get();
  if (!channel || (channel.type !== "OPEN" && channel.type !== "PUBLIC")) return false;
  await db.insert(channelMembers).values({ channelId, userId, applicationId }).onConflictDoNothing();
  return true;
};

/** Ids per lookup of users or channels by id: the statement also binds the application id. */
const IDS_PER_LOOKUP = MAX_BOUND_PARAMETERS - 1;

/** Ids of the given users that belong to the application (each once), in one round trip. */
export const existingUserIds = async (db: Db, applicationId: number, ids: number[]) => {
  const [first, ...rest] = chunked([...new Set(ids)], IDS_PER_LOOKUP).map((chunk) =>
    db.select({ id: users.id }).from(users).where(and(eq(users.applicationId, applicationId), inArray(users.id, chunk))),
  );
  return first ? (await db.batch([first, ...rest])).flat().map((u) => u.id) : [];
};

export const chatMessageColumns = {
  id: messages.id,
  channelId: messages.channelId,
  type: messages.type,
  body: messages.body,
  file: messages.file,
  properties: messages.properties,
  createdAt: messages.createdAt,
  user: {
    id: users.id,
    name: users.name,
    displayName: users.displayName,
    displayPictureUrl: users.displayPictureUrl,
    isGuest: users.isGuest,
    properties: users.properties,
  },
};
export type ChatMessageRow = {
  id: number;
  channelId: number;
  type: "TEXT" | "FILE" | "SYSTEM_TEXT" | "SYSTEM_FILE";
  body: string | null;
  file: StoredFile | null;
  properties: JsonObject;
  createdAt: Date;
  user: ChatUserRow | null;
};

/** `limit` persisted messages of a channel with `id <= atMost`, newest first, senders joined. */
export const listChatMessages = (db: Db, applicationId: number, channelId: number, atMost: number | undefined, limit: number) =>
  db
    .select(chatMessageColumns)
    .from(messages)
    .leftJoin(users, eq(users.id, messages.userId))
    .where(
      and(
        eq(messages.applicationId, applicationId),
        eq(messages.channelId, channelId),
        atMost === undefined ? undefined : lte(messages.id, atMost),
      ),
    )
    .orderBy(desc(messages.id))
    .limit(limit) as Promise<ChatMessageRow[]>;

export const findChatMessage = (db: Db, applicationId: number, messageId: number) =>
  db
    .select(chatMessageColumns)
    .from(messages)
    .leftJoin(users, eq(users.id, messages.userId))
    .where(and(eq(messages.applicationId, applicationId), eq(messages.id, messageId)))
    .get() as Promise<ChatMessageRow | undefined>;

/** Persists a user's TEXT or FILE message. */
export const insertUserMessage = (
  db: Db,
  applicationId: number,
  channelId: number,
  userId: number,
  content: { type: "TEXT"; body: string } | { type: "FILE"; file: StoredFile },
) =>
  db
    .insert(messages)
    .values({ applicationId, channelId, userId, ...content })
    .returning({ id: messages.id, createdAt: messages.createdAt })
    .get();

/**
 * Moves the member's read marker forward to `messageId`, or to the channel's newest message when
 * omitted; never backwards.
 */
export const markRead = (db: Db, applicationId: number, channelId: number, userId: number, messageId?: number) => {
  const target =
    messageId ?? sql`(select max(${messages.id}) from ${messages} where ${messages.channelId} = ${channelId})`;
  return db
    .update(channelMembers)
    .set({ lastReadMessageId: sql`max(coalesce(${channelMembers.lastReadMessageId}, 0), coalesce(${target}, 0))` })
    .where(
      and(
        eq(channelMembers.applicationId, applicationId),
        eq(channelMembers.channelId, channelId),
        eq(channelMembers.userId, userId),
      ),
    );
};

/** Members of a channel other than `exceptUserId` (ids and names: names pick shards), for notifications (bounded). */
export const channelMembersToNotify = (
  db: Db,
  applicationId: number,
  channelId: number,
  exceptUserId: number | null,
  limit: number,
) =>
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


/**
 * The members of each of these (DIRECT) channels, ascending id, for presenting them; one round
 * trip. A channel's members all come from the one chunk that names it, so each list stays sorted.
 */
export const membersOfChannels = async (db: Db, applicationId: number, channelIds: number[]) => {
  const byChannel = new Map<number, ChatUserRow[]>();
  const [first, ...rest] = chunked([...new Set(channelIds)], IDS_PER_LOOKUP).map((chunk) =>
    db
      .select({ channelId: channelMembers.channelId, ...chatUserColumns })
      .from(channelMembers)
      .innerJoin(users, eq(users.id, channelMembers.userId))
      .where(and(eq(channelMembers.applicationId, applicationId), inArray(channelMembers.channelId, chunk)))
      .orderBy(users.id),
  );
  if (!first) return byChannel;
  for (const { channelId, ...user } of (await db.batch([first, ...rest])).flat()) {
    byChannel.set(channelId, [...(byChannel.get(channelId) ?? []), user as ChatUserRow]);
  }
  return byChannel;
};
