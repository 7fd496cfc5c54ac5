/**
 * User sessions (one per real-time connection) and chat sessions (a connection's presence in one
 * channel), written by the session shard that holds the socket and listed by the Platform API.
 * A shard names its rows by (shard, connection id): the only ids it knows without reading D1.
 */
import { and, asc, count, desc, eq, inArray, isNotNull, isNull, lt, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { chunked, MAX_BOUND_PARAMETERS } from "../../db/chunks";
import type { Db } from "../../db/client";
import { chatSessions, userSessions, users } from "../../db/schema";
import { userColumns, userOrder, type UserRow, type UserSort } from "./users";

export const SESSION_STATES = ["ACTIVE", "ENDED"] as const;
export type SessionState = (typeof SESSION_STATES)[number];

export type SessionSortProperty = "id" | "createdTime";
export const SESSION_SORT_PROPERTIES: readonly SessionSortProperty[] = ["id", "createdTime"];
type SessionSort = { property: SessionSortProperty; descending: boolean }[];

export interface SessionListOptions {
  /** Both states when absent. */
  state?: SessionState | undefined;
  /** Ascending id when empty. */
  sort?: SessionSort | undefined;
}

/** The connection a shard holds: its rows are found by these two. */
export interface ShardConnection {
  shard: string;
  conn: string;
}

export interface UserSessionRow {
  id: number;
  userAgent: string | null;
  createdAt: Date;
  endedAt: Date | null;
  user: UserRow;
}

export interface ChatSessionRow {
  id: number;
  channelId: number;
  createdAt: Date;
  endedAt: Date | null;
  /** Its user session, whose user is `user` (Drizzle nests selections one level deep). */
  session: Omit<UserSessionRow, "user">;
  user: UserRow;
}

/**
 * A column under another name. D1 answers a batch's rows as objects keyed by column name, so a
 * join whose tables share a column name (`id`, `created_at`) must rename all but one of them.
 */
const renamed = <T>(column: SQLiteColumn, name: string) => (sql`${column}`.mapWith(column) as SQL<T>).as(name);

const sessionColumns = {
  id: renamed<number>(userSessions.id, "session_id"),
  userAgent: userSessions.userAgent,
  createdAt: renamed<Date>(userSessions.createdAt, "session_created_at"),
  endedAt: renamed<Date | null>(userSessions.endedAt, "session_ended_at"),
};

/** Ids of the user sessions of these connections of one shard, as a subquery. */
const sessionIdsOf = (db: Db, shard: string, conns: string[]) =>
  db
    .select({ id: userSessions.id })
    .from(userSessions)
    .where(and(eq(userSessions.shard, shard), inArray(userSessions.conn, conns)));

/** How many live connections the user has (user sessions not ended): online while at least one. */
export const countActiveSessions = async (db: Db, applicationId: number, userId: number) =>
  (
    await db
      .select({ n: count() })
      .from(userSessions)
      .where(and(eq(userSessions.applicationId, applicationId), eq(userSessions.userId, userId), isNull(userSessions.endedAt)))
      .get()
  )?.n ?? 0;

export const insertUserSession = (
  db: Db,
  session: ShardConnection & { applicationId: number; userId: number; userAgent?: string | undefined },
) => db.insert(userSessions).values(session).run();

/**
 * The connection's chat session in the channel, unless it has an active one already (a second
 * subscription to the channel's messages is the same presence) or its user session ended (a close
 * that overtook this write). Written out: Drizzle's insert-select wants every column of the table.
 */
export const startChatSession = (db: Db, { shard, conn }: ShardConnection, channelId: number) =>
  db.run(sql`
    INSERT INTO chat_sessions (application_id, user_session_id, user_id, channel_id)
    SELECT us.application_id, us.id, us.user_id, ${channelId} FROM user_sessions us
    WHERE us.shard = ${shard} AND us.conn = ${conn} AND us.ended_at IS NULL AND NOT EXISTS (
      SELECT 1 FROM chat_sessions cs WHERE cs.user_session_id = us.id AND cs.channel_id = ${channelId} AND cs.ended_at IS NULL)`);

/** Ends the connection's chat session in the channel. */
export const endChatSession = (db: Db, { shard, conn }: ShardConnection, channelId: number, at: number) =>
  db
    .update(chatSessions)
    .set({ endedAt: new Date(at) })
    .where(
      and(
        inArray(chatSessions.userSessionId, sessionIdsOf(db, shard, [conn])),
        eq(chatSessions.channelId, channelId),
        isNull(chatSessions.endedAt),
      ),
    )
    .run();

/** Ends the user sessions of these connections of one shard and all their chat sessions (one batch per chunk of connections). */
export const endUserSessions = async (db: Db, shard: string, conns: string[], at: number) => {
  const endedAt = new Date(at);
  // Two statements per chunk, each binding the shard, the time and the connection ids.
  for (const chunk of chunked(conns, MAX_BOUND_PARAMETERS - 2)) {
    await db.batch([
      db
        .update(chatSessions)
        .set({ endedAt })
        .where(and(inArray(chatSessions.userSessionId, sessionIdsOf(db, shard, chunk)), isNull(chatSessions.endedAt))),
      db
        .update(userSessions)
        .set({ endedAt })
        .where(and(eq(userSessions.shard, shard), inArray(userSessions.conn, chunk), isNull(userSessions.endedAt))),
    ]);
  }
};

const stateIs = (endedAt: typeof userSessions.endedAt | typeof chatSessions.endedAt, state: SessionState | undefined) =>
  state === undefined ? undefined : state === "ACTIVE" ? isNull(endedAt) : isNotNull(endedAt);

// Ids increase with creation time: both properties order by id.
const idOrder = (id: typeof userSessions.id | typeof chatSessions.id, sort: SessionSort = []) => [
  ...sort.map((s) => (s.descending ? desc(id) : asc(id))),
  asc(id),
];

const selectUserSessions = (db: Db) =>
  db
    .select({ ...sessionColumns, user: userColumns })
    .from(userSessions)
    .innerJoin(users, eq(users.id, userSessions.userId));

export const findUserSession = (db: Db, applicationId: number, sessionId: number): Promise<UserSessionRow | undefined> =>
  selectUserSessions(db)
    .where(and(eq(userSessions.applicationId, applicationId), eq(userSessions.id, sessionId)))
    .get();

/** A numbered page of the application's user sessions, each with its user, and the total. */
export const listUserSessionsPage = async (db: Db, applicationId: number, offset: number, limit: number, options: SessionListOptions) => {
  const where = and(eq(userSessions.applicationId, applicationId), stateIs(userSessions.endedAt, options.state));
  const [rows, [total]] = await db.batch([
    selectUserSessions(db)
      .where(where)
      .orderBy(...idOrder(userSessions.id, options.sort))
      .limit(limit)
      .offset(offset),
    db.select({ n: count() }).from(userSessions).where(where),
  ]);
  return { rows: rows as UserSessionRow[], total: total?.n ?? 0 };
};

/** A numbered page of the application's chat sessions, each with its user session, and the total. */
export const listChatSessionsPage = async (db: Db, applicationId: number, offset: number, limit: number, options: SessionListOptions) => {
  const where = and(eq(chatSessions.applicationId, applicationId), stateIs(chatSessions.endedAt, options.state));
  const [rows, [total]] = await db.batch([
    db
      .select({
        id: renamed<number>(chatSessions.id, "chat_session_id"),
        channelId: chatSessions.channelId,
        createdAt: chatSessions.createdAt,
        endedAt: chatSessions.endedAt,
        session: sessionColumns,
        user: userColumns,
      })
      .from(chatSessions)
      .innerJoin(userSessions, eq(userSessions.id, chatSessions.userSessionId))
      .innerJoin(users, eq(users.id, chatSessions.userId))
      .where(where)
      .orderBy(...idOrder(chatSessions.id, options.sort))
      .limit(limit)
      .offset(offset),
    db.select({ n: count() }).from(chatSessions).where(where),
  ]);
  return { rows: rows as ChatSessionRow[], total: total?.n ?? 0 };
};

/** A numbered page of the users with an active chat session in the channel (each once), and the total. */
export const listParticipantsPage = async (
  db: Db,
  applicationId: number,
  channelId: number,
  offset: number,
  limit: number,
  sort?: UserSort | undefined,
) => {
  const present = db
    .select({ userId: chatSessions.userId })
    .from(chatSessions)
    .where(and(eq(chatSessions.channelId, channelId), isNull(chatSessions.endedAt)));
  const where = and(eq(users.applicationId, applicationId), inArray(users.id, present));
  const [rows, [total]] = await db.batch([
    db
      .select(userColumns)
      .from(users)
      .where(where)
      .orderBy(...userOrder(sort))
      .limit(limit)
      .offset(offset),
    db.select({ n: count() }).from(users).where(where),
  ]);
  return { rows: rows as UserRow[], total: total?.n ?? 0 };
};

/** How long ended sessions are kept for the Platform API to list. */
const ENDED_SESSION_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

const SWEEP_CHUNK = 1000;

/** Deletes ended rows older than the cutoff, `SWEEP_CHUNK` at a time (as sweepIdempotencyKeys); returns how many. */
const sweepEnded = async (db: Db, table: typeof chatSessions | typeof userSessions, cutoff: Date) => {
  let total = 0;
  for (;;) {
    const expired = db.select({ id: table.id }).from(table).where(lt(table.endedAt, cutoff)).limit(SWEEP_CHUNK);
    const { meta } = await db.delete(table).where(inArray(table.id, expired)).run();
    total += meta.changes;
    if (meta.changes < SWEEP_CHUNK) return total;
  }
};

/**
 * Deletes sessions that ended more than `ENDED_SESSION_RETENTION_MS` ago: chat sessions first (a
 * long-lived connection's old ones), then user sessions, whose remaining chat sessions cascade.
 */
export const sweepEndedSessions = async (db: Db, now: Date | number): Promise<number> => {
  const cutoff = new Date(new Date(now).getTime() - ENDED_SESSION_RETENTION_MS);
  return (await sweepEnded(db, chatSessions, cutoff)) + (await sweepEnded(db, userSessions, cutoff));
};
