import { and, count, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { applications, users } from "../../db/schema";
import { queueUserFiles } from "../../files/deletions";
import { findApplicationQuery } from "../applications/applications.queries";

const userColumns = { id: users.id, name: users.name, displayName: users.displayName, isGuest: users.isGuest };
export type UserView = { id: number; name: string; displayName: string | null; isGuest: boolean };

export const findUserQuery = (db: Db, applicationId: number, userId: number) =>
  db
    .select(userColumns)
    .from(users)
    .where(and(eq(users.applicationId, applicationId), eq(users.id, userId)));

export const findUser = (db: Db, applicationId: number, userId: number) =>
  findUserQuery(db, applicationId, userId).get();

/** Inserts a user; the unique index on (application, name) decides races between creates. */
export const insertUser = (
  db: Db,
  applicationId: number,
  input: { name: string; displayName?: string; isGuest?: boolean },
) => db.insert(users).values({ applicationId, ...input }).returning(userColumns).get();

/** Sets what the Platform API may change on a user; undefined when there is no such user. */
export const updateUser = (
  db: Db,
  applicationId: number,
  userId: number,
  changes: { displayName?: string | null; isGuest?: boolean },
) =>
  db
    .update(users)
    .set(changes)
    .where(and(eq(users.applicationId, applicationId), eq(users.id, userId)))
    .returning(userColumns)
    .get();

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
  return { rows, total: total?.n ?? 0 };
};

/**
 * Deletes a user and, through the foreign keys' ON DELETE CASCADE, their memberships and the
 * messages they sent, in one statement; the deletion of those messages' stored files is recorded
 * in the same transaction (files/deletions.ts). Returns the deleted user (for their live
 * sessions), the application for the response, and the file-deletion records to carry out.
 */
export const deleteUser = async (db: Db, applicationId: number, userId: number) => {
  const [queued, deleted, [app]] = await db.batch([
    queueUserFiles(db, applicationId, userId),
    db
      .delete(users)
      .where(and(eq(users.applicationId, applicationId), eq(users.id, userId)))
      .returning({ id: users.id, name: users.name }),
    findApplicationQuery(db, applicationId),
  ]);
  return { deleted: deleted[0], app, fileDeletions: queued };
};
