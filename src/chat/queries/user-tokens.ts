/**
 * User challenge tokens. A back end creates them for a user; a chat session presents one when its
 * application requires authenticated sessions. The token is its own key (unique index), so a
 * session's check is one indexed lookup, scoped to the application and the user.
 */
import { and, count, eq, sql } from "drizzle-orm";
import { generateClientSecret } from "../../auth/secrets";
import type { Db } from "../../db/client";
import { userTokens, users } from "../../db/schema";
import { findUserQuery } from "./users";

/** How many tokens one user may hold at once. */
export const MAX_TOKENS_PER_USER = 10;

const tokenColumns = { token: userTokens.token, createdAt: userTokens.createdAt };
export type TokenView = { token: string; createdAt: Date };

/** Same shape and strength as a client secret: 256 random bits, base64url (43 characters). */
const newChallengeToken = generateClientSecret;

const ofUser = (applicationId: number, userId: number) => and(eq(userTokens.applicationId, applicationId), eq(userTokens.userId, userId));

/**
 * Creates a token for the user, unless the user is not in the application or already holds
 * `MAX_TOKENS_PER_USER`. The bound is checked inside the INSERT itself
 * (`INSERT … SELECT … FROM users WHERE … AND (SELECT count(*) …) < 10`): one statement is atomic
 * in D1, so concurrent creates can never take a user past the bound, as a read-then-insert could.
 * The same batch reads the user back, telling "no such user" (404) from "too many tokens" (409).
 * @example const { token, user } = await insertUserToken(db, 1, 7) // token undefined: see user
 */
export const insertUserToken = async (db: Db, applicationId: number, userId: number) => {
  const heldByUser = db.select({ n: count() }).from(userTokens).where(ofUser(applicationId, userId));
  const [inserted, [user]] = await db.batch([
    db
      .insert(userTokens)
      .select((qb) =>
        qb
          .select({
            // NULL into an INTEGER PRIMARY KEY lets SQLite assign the next id.
            id: sql<number>`null`.as("id"),
            applicationId: users.applicationId,
            userId: users.id,
            token: sql<string>`${newChallengeToken()}`.as("token"),
            // The column's own default expression (the SQLite clock), as a plain insert would use.
            createdAt: sql<Date>`${userTokens.createdAt.default}`.as("created_at"),
          })
          .from(users)
          .where(and(eq(users.applicationId, applicationId), eq(users.id, userId), sql`(${heldByUser}) < ${MAX_TOKENS_PER_USER}`)),
      )
      .returning(tokenColumns),
    findUserQuery(db, applicationId, userId),
  ]);
  return { token: inserted[0], user };
};

/** One round trip: the user (undefined when not in the application), a page of tokens (oldest first), the total. */
export const listUserTokensPage = async (db: Db, applicationId: number, userId: number, offset: number, limit: number) => {
  const [[user], rows, [total]] = await db.batch([
    findUserQuery(db, applicationId, userId),
    db.select(tokenColumns).from(userTokens).where(ofUser(applicationId, userId)).orderBy(userTokens.id).limit(limit).offset(offset),
    db.select({ n: count() }).from(userTokens).where(ofUser(applicationId, userId)),
  ]);
  return { user, rows, total: total?.n ?? 0 };
};

/** One of the user's tokens; `user` tells an unknown user (404) from an unknown token (404 too, another message). */
export const findUserToken = async (db: Db, applicationId: number, userId: number, token: string) => {
  const [[found], [user]] = await db.batch([
    db
      .select(tokenColumns)
      .from(userTokens)
      .where(and(ofUser(applicationId, userId), eq(userTokens.token, token))),
    findUserQuery(db, applicationId, userId),
  ]);
  return { token: found, user };
};

/** Revokes one of the user's tokens; returns its row id (undefined: there was none) and the user. */
export const deleteUserToken = async (db: Db, applicationId: number, userId: number, token: string) => {
  const [deleted, [user]] = await db.batch([
    db
      .delete(userTokens)
      .where(and(ofUser(applicationId, userId), eq(userTokens.token, token)))
      .returning({ id: userTokens.id }),
    findUserQuery(db, applicationId, userId),
  ]);
  return { deletedId: deleted[0]?.id, user };
};

/**
 * The user a chat session authenticates as: the user of the application named `name` who holds
 * `token`, else undefined. One lookup through the token's unique index; never creates a user.
 * Also returns the token's row id: the session remembers it, so revoking the token ends it.
 * @example await findUserByNameAndToken(db, 1, "jane", token) // { id: 7, tokenId: 3 } or undefined
 */
export const findUserByNameAndToken = (db: Db, applicationId: number, name: string, token: string) =>
  db
    .select({ id: users.id, tokenId: userTokens.id })
    .from(userTokens)
    .innerJoin(users, eq(users.id, userTokens.userId))
    .where(
      and(
        eq(userTokens.token, token),
        eq(userTokens.applicationId, applicationId),
        eq(users.applicationId, applicationId),
        eq(users.name, name),
      ),
    )
    .get();

/** Whether the user still holds the challenge token with this row id (a grant names it). */
export const userTokenExists = async (db: Db, applicationId: number, userId: number, tokenId: number) =>
  Boolean(
    await db
      .select({ id: userTokens.id })
      .from(userTokens)
      .where(and(ofUser(applicationId, userId), eq(userTokens.id, tokenId)))
      .get(),
  );
