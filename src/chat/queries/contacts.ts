/**
 * Contacts (spec §11.2): the users who share at least one channel with a user, the user excepted,
 * and whether users are online (spec §11.1: at least one connection, a user session not ended).
 */
import { and, asc, count, eq, inArray, isNull, ne, type SQL, sql } from "drizzle-orm";
import { chunked, MAX_BOUND_PARAMETERS } from "../../db/chunks";
import type { Db } from "../../db/client";
import { channelMembers, userSessions, users } from "../../db/schema";
import { userColumns, type UserRow } from "./users";

export interface ContactFilter {
  /** Case-insensitive (ASCII) substring of the name; `%`, `_` and `\` match themselves. */
  name?: string | undefined;
  /** The same, of the display name (the name when it has none). */
  displayName?: string | undefined;
  online?: boolean | undefined;
}

// Spelled out: in a single-table select's fields Drizzle leaves columns unqualified, and a bare
// "id" inside a subquery would name the subquery's own table's id.
const usersId = sql`${users}.${sql.identifier(users.id.name)}`;

// Not correlated: SQLite builds the set of the user's channels' members once per statement
// (channel_members_user_idx, then each channel's primary-key range), and probes it per user.
const sharesChannelWithSql = (userId: number) =>
  sql`${usersId} in (select ${channelMembers.userId} from ${channelMembers} where ${channelMembers.channelId} in
    (select ${channelMembers.channelId} from ${channelMembers} where ${channelMembers.userId} = ${userId}))`;

// Only live sessions have ended_at null, so user_sessions_ended_idx keeps this to the connected few.
const onlineSql = sql<boolean>`exists (select 1 from ${userSessions}
  where ${userSessions.endedAt} is null and ${userSessions.userId} = ${usersId})`;

const displayNameOf = sql`coalesce(${users.displayName}, ${users.name})`;

// instr, not LIKE: the filter's characters are never patterns, so nothing needs escaping.
const containsSql = (column: SQL | typeof users.name, part: string) => sql`instr(lower(${column}), lower(${part})) > 0`;

const contactsWhere = (applicationId: number, userId: number, { name, displayName, online }: ContactFilter) =>
  and(
    eq(users.applicationId, applicationId),
    ne(users.id, userId),
    sharesChannelWithSql(userId),
    name === undefined ? undefined : containsSql(users.name, name),
    displayName === undefined ? undefined : containsSql(displayNameOf, displayName),
    online === undefined ? undefined : online ? onlineSql : sql`not ${onlineSql}`,
  );

/** A numbered page of the user's contacts (by display name, then id) with whether each is online, and the total. */
export const listContactsPage = async (
  db: Db,
  applicationId: number,
  userId: number,
  filter: ContactFilter,
  offset: number,
  limit: number,
) => {
  const where = contactsWhere(applicationId, userId, filter);
  const [rows, [total]] = await db.batch([
    db
      .select({ ...userColumns, online: sql<boolean>`${onlineSql}`.mapWith(Boolean) })
      .from(users)
      .where(where)
      .orderBy(asc(displayNameOf), asc(users.id))
      .limit(limit)
      .offset(offset),
    db.select({ n: count() }).from(users).where(where),
  ]);
  return { rows: rows as (UserRow & { online: boolean })[], total: total?.n ?? 0 };
};

export const countContactsOf = async (db: Db, applicationId: number, userId: number, filter: ContactFilter) =>
  (
    await db
      .select({ n: count() })
      .from(users)
      .where(contactsWhere(applicationId, userId, filter))
      .get()
  )?.n ?? 0;

/** Up to `limit` of the user's contact ids, ascending. */
export const contactIds = async (db: Db, applicationId: number, userId: number, limit: number) =>
  (
    await db
      .select({ id: users.id })
      .from(users)
      .where(contactsWhere(applicationId, userId, {}))
      .orderBy(asc(users.id))
      .limit(limit)
  ).map((u) => u.id);

/** User ids per lookup: the statement also binds the application. */
const IDS_PER_LOOKUP = MAX_BOUND_PARAMETERS - 1;

/** Which of these users have a live connection, in one round trip. */
export const findOnline = async (db: Db, applicationId: number, userIds: number[]): Promise<Set<number>> => {
  const [first, ...rest] = chunked([...new Set(userIds)], IDS_PER_LOOKUP).map((chunk) =>
    db
      .selectDistinct({ userId: userSessions.userId })
      .from(userSessions)
      .where(and(eq(userSessions.applicationId, applicationId), isNull(userSessions.endedAt), inArray(userSessions.userId, chunk))),
  );
  if (!first) return new Set();
  return new Set((await db.batch([first, ...rest])).flat().map((s) => s.userId));
};
