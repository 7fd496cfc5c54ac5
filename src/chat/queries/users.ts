/**
 * Users, for both APIs and chat sessions. Every query is scoped to the application; the unique
 * index on (application, name) settles races between creates.
 */
import { and, count, eq, exists, inArray, isNull, sql } from "drizzle-orm";
import { chunked, MAX_BOUND_PARAMETERS } from "../../db/chunks";
import type { Db } from "../../db/client";
import { applications, users, type JsonObject } from "../../db/schema";
import { queueUserFiles } from "../../files/deletions";
import { findApplicationQuery } from "./applications";

export const userColumns = {
  id: users.id,
  name: users.name,
  displayName: users.displayName,
  displayPictureUrl: users.displayPictureUrl,
  isGuest: users.isGuest,
  properties: users.properties,
};
export interface UserRow {
  id: number;
  name: string;
  displayName: string | null;
  displayPictureUrl: string | null;
  isGuest: boolean;
  properties: JsonObject;
}

/** What either API may change on a user. */
export interface UserChanges {
  displayName?: string | null;
  displayPictureUrl?: string | null;
  isGuest?: boolean;
  properties?: JsonObject;
}

const inApplication = (applicationId: number, userId: number) => and(eq(users.applicationId, applicationId), eq(users.id, userId));

export const findUserQuery = (db: Db, applicationId: number, userId: number) =>
  db.select(userColumns).from(users).where(inApplication(applicationId, userId));

export const findUser = (db: Db, applicationId: number, userId: number): Promise<UserRow | undefined> =>
  findUserQuery(db, applicationId, userId).get();

/** Inserts a user; the unique index on (application, name) decides races between creates. */
export const insertUser = (db: Db, applicationId: number, input: { name: string; displayName?: string; isGuest?: boolean }) =>
  db
    .insert(users)
    .values({ applicationId, ...input })
    .returning(userColumns)
    .get() as Promise<UserRow>;

/** Applies the changes; undefined when there is no such user. */
/** What a user's representation shows that can change (display name, guest flag). */
type Shown = Pick<UserRow, "displayName" | "isGuest">;

/** The user (this id) still shows what `expected` shows: the condition of an If-Match write. */
const stillShows = (applicationId: number, userId: number, expected: Shown | undefined) =>
  and(
    inApplication(applicationId, userId),
    expected && (expected.displayName === null ? isNull(users.displayName) : eq(users.displayName, expected.displayName)),
    expected && eq(users.isGuest, expected.isGuest),
  );

/**
 * Applies `changes`; given `expected`, only if what the user's representation shows is still as in
 * `expected` (an If-Match write). Undefined: no such user, or it changed.
 */
export const updateUser = (
  db: Db,
  applicationId: number,
  userId: number,
  changes: UserChanges,
  expected?: Shown,
): Promise<UserRow | undefined> =>
  db
    .update(users)
    .set(changes)
    .where(stillShows(applicationId, userId, expected))
    .returning(userColumns)
    .get();

/**
 * The user with this name, created as a guest when the application does not know it yet. The
 * unique index settles concurrent first sessions of one name: both end up with the same row.
 */
export const findOrCreateGuest = async (db: Db, applicationId: number, name: string): Promise<UserRow> => {
  const byName = () =>
    db
      .select(userColumns)
      .from(users)
      .where(and(eq(users.applicationId, applicationId), eq(users.name, name)))
      .get();
  const existing = await byName();
  if (existing) return existing;
  await db.insert(users).values({ applicationId, name, isGuest: true }).onConflictDoNothing();
  const created = await byName();
  if (!created) throw new Error("guest user vanished after insert");
  return created;
};

/**
 * One round trip: the page (ascending id) and the total; `name` keeps only that exact name. The
 * total of the whole list is the trigger-kept counter (one row read at any size); a name filter
 * matches at most one row, so counting it is cheap.
 */
export const listUsersPage = async (db: Db, applicationId: number, offset: number, limit: number, name?: string) => {
  const where = and(eq(users.applicationId, applicationId), name === undefined ? undefined : eq(users.name, name));
  const [rows, [total]] = await db.batch([
    db.select(userColumns).from(users).where(where).orderBy(users.id).limit(limit).offset(offset),
    name === undefined
      ? db.select({ n: applications.userCount }).from(applications).where(eq(applications.id, applicationId))
      : db.select({ n: count() }).from(users).where(where),
  ]);
  return { rows: rows as UserRow[], total: total?.n ?? 0 };
};

/** Ids per lookup of users by id: the statement also binds the application id. */
const IDS_PER_LOOKUP = MAX_BOUND_PARAMETERS - 1;

/** Ids of the given users that belong to the application (each once), in one round trip. */
export const existingUserIds = async (db: Db, applicationId: number, ids: number[]) => {
  const [first, ...rest] = chunked([...new Set(ids)], IDS_PER_LOOKUP).map((chunk) =>
    db
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.applicationId, applicationId), inArray(users.id, chunk))),
  );
  return first ? (await db.batch([first, ...rest])).flat().map((u) => u.id) : [];
};

/**
 * Deletes a user and, through the foreign keys' ON DELETE CASCADE, their memberships and the
 * messages they sent, in one statement; the deletion of those messages' stored files is recorded
 * in the same transaction (files/deletions.ts). Returns the deleted user (for their live
 * sessions), the application for the response, and the file-deletion records to carry out. Given
 * `expected` (an If-Match delete), nothing happens unless the user still shows what it shows.
 */
export const deleteUser = async (db: Db, applicationId: number, userId: number, expected?: Shown) => {
  const condition = stillShows(applicationId, userId, expected);
  const [queued, deleted, [app]] = await db.batch([
    queueUserFiles(db, applicationId, userId, expected && exists(db.select({ one: sql`1` }).from(users).where(condition))),
    db.delete(users).where(condition).returning({ id: users.id, name: users.name }),
    findApplicationQuery(db, applicationId),
  ]);
  return { deleted: deleted[0], app, fileDeletions: queued };
};
