/**
 * Users, for both APIs and chat sessions. Every query is scoped to the application; the unique
 * index on (application, name) settles races between creates.
 */
import { and, asc, count, desc, eq, exists, inArray, isNull, sql } from "drizzle-orm";
import { chunked, MAX_BOUND_PARAMETERS } from "../../db/chunks";
import type { Db } from "../../db/client";
import { applications, users, type JsonObject } from "../../db/schema";
import { queueUserFiles } from "../../files/deletions";
import { findApplicationQuery } from "./applications";
import { propertiesContain } from "./properties";

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
  /**
   * A JSON merge patch (RFC 7396) of `properties`, applied by SQLite's `json_patch` in the
   * update itself, so concurrent patches of different keys both land.
   */
  propertiesPatch?: JsonObject;
}

const inApplication = (applicationId: number, userId: number) => and(eq(users.applicationId, applicationId), eq(users.id, userId));

export const findUserQuery = (db: Db, applicationId: number, userId: number) =>
  db.select(userColumns).from(users).where(inApplication(applicationId, userId));

export const findUser = (db: Db, applicationId: number, userId: number): Promise<UserRow | undefined> =>
  findUserQuery(db, applicationId, userId).get();

/** Inserts a user; the unique index on (application, name) decides races between creates. */
export const insertUser = (
  db: Db,
  applicationId: number,
  input: { name: string; displayName?: string | undefined; isGuest?: boolean | undefined; properties?: JsonObject | undefined },
) =>
  db
    .insert(users)
    .values({ applicationId, ...input })
    .returning(userColumns)
    .get() as Promise<UserRow>;

/** What a user's representation shows that can change (either form's). */
type Shown = Pick<UserRow, "displayName" | "isGuest" | "displayPictureUrl" | "properties">;

const sameOrBothNull = (column: typeof users.displayName | typeof users.displayPictureUrl, value: string | null) =>
  value === null ? isNull(column) : eq(column, value);

/** The user (this id) still shows what `expected` shows: the condition of an If-Match write. */
const stillShows = (applicationId: number, userId: number, expected: Shown | undefined) =>
  and(
    inApplication(applicationId, userId),
    expected && sameOrBothNull(users.displayName, expected.displayName),
    expected && sameOrBothNull(users.displayPictureUrl, expected.displayPictureUrl),
    expected && eq(users.isGuest, expected.isGuest),
    // json() on both sides: the stored text and this one may differ in spacing only.
    expected && sql`json(${users.properties}) = json(${JSON.stringify(expected.properties)})`,
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
): Promise<UserRow | undefined> => {
  const { propertiesPatch, ...set } = changes;
  return db
    .update(users)
    .set(propertiesPatch ? { ...set, properties: sql`json_patch(${users.properties}, ${JSON.stringify(propertiesPatch)})` } : set)
    .where(stillShows(applicationId, userId, expected))
    .returning(userColumns)
    .get();
};

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

/** What lists of users may be ordered by. */
export type UserSortProperty = "id" | "name" | "createdTime";
export const USER_SORT_PROPERTIES: readonly UserSortProperty[] = ["id", "name", "createdTime"];
const USER_SORT_COLUMNS = { id: users.id, name: users.name, createdTime: users.createdAt };

export type UserSort = { property: UserSortProperty; descending: boolean }[];

/** The order of a page of users: the given criteria, then id, so pages never overlap. */
export const userOrder = (sort: UserSort = []) => [
  ...sort.map((o) => (o.descending ? desc : asc)(USER_SORT_COLUMNS[o.property])),
  asc(users.id),
];

export interface UserListOptions {
  /** Only the user with exactly this name. */
  name?: string | undefined;
  /** Only users whose properties hold each of these entries. */
  properties?: JsonObject | undefined;
  /** Ascending id when empty; id always breaks ties, so pages never overlap. */
  sort?: UserSort | undefined;
}

/**
 * One round trip: the page and the total. The total of the unfiltered list is the trigger-kept
 * counter (one row read at any size); a filtered one is counted.
 */
export const listUsersPage = async (db: Db, applicationId: number, offset: number, limit: number, options: UserListOptions = {}) => {
  const { name, properties, sort = [] } = options;
  const where = and(
    eq(users.applicationId, applicationId),
    name === undefined ? undefined : eq(users.name, name),
    propertiesContain(users.properties, properties),
  );
  const order = userOrder(sort);
  const filtered = name !== undefined || (properties !== undefined && Object.keys(properties).length > 0);
  const [rows, [total]] = await db.batch([
    db
      .select(userColumns)
      .from(users)
      .where(where)
      .orderBy(...order)
      .limit(limit)
      .offset(offset),
    filtered
      ? db.select({ n: count() }).from(users).where(where)
      : db.select({ n: applications.userCount }).from(applications).where(eq(applications.id, applicationId)),
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

/** The users of the application with these ids or names (each once), in one round trip. */
export const findUsersByIdOrName = async (db: Db, applicationId: number, ids: number[], names: string[]): Promise<UserRow[]> => {
  const lookups = [
    ...chunked([...new Set(ids)], IDS_PER_LOOKUP).map((chunk) => inArray(users.id, chunk)),
    ...chunked([...new Set(names)], IDS_PER_LOOKUP).map((chunk) => inArray(users.name, chunk)),
  ].map((match) =>
    db
      .select(userColumns)
      .from(users)
      .where(and(eq(users.applicationId, applicationId), match)),
  );
  const [first, ...rest] = lookups;
  if (!first) return [];
  const found = new Map<number, UserRow>();
  for (const user of (await db.batch([first, ...rest])).flat() as UserRow[]) found.set(user.id, user);
  return [...found.values()];
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

export interface NewUserRow {
  name: string;
  displayName?: string | undefined;
  displayPictureUrl?: string | undefined;
  isGuest?: boolean | undefined;
  properties?: JsonObject | undefined;
}

/** Columns one row of `insertNewUsersQueries` binds (application, name, display name, picture, guest, properties). */
const PARAMETERS_PER_USER = 6;

/**
 * Statements that insert many users, for the caller's batch (one transaction), skipping names the
 * application already has (the same unique index `insertUser` relies on decides).
 */
export const insertNewUsersQueries = (db: Db, applicationId: number, rows: NewUserRow[]) =>
  chunked(rows, Math.floor(MAX_BOUND_PARAMETERS / PARAMETERS_PER_USER)).map((chunk) =>
    db
      .insert(users)
      .values(
        chunk.map((row) => ({
          applicationId,
          name: row.name,
          displayName: row.displayName ?? null,
          displayPictureUrl: row.displayPictureUrl ?? null,
          isGuest: row.isGuest ?? false,
          properties: row.properties ?? {},
        })),
      )
      .onConflictDoNothing(),
  );
