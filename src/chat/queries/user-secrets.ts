/** A user's named secrets (schema `user_secrets`); every statement is scoped by the user's application. */
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { type JsonObject, userSecrets, users } from "../../db/schema";

const ofUser = (applicationId: number, userId: number) =>
  sql`${userSecrets.userId} = (select ${users.id} from ${users} where ${users.id} = ${userId} and ${users.applicationId} = ${applicationId})`;

export const findUserSecret = async (db: Db, applicationId: number, userId: number, name: string) =>
  (
    await db
      .select({ secret: userSecrets.secret })
      .from(userSecrets)
      .where(and(ofUser(applicationId, userId), eq(userSecrets.name, name)))
      .get()
  )?.secret;

/** Sets the secret of a user known to be the application's. */
export const putUserSecret = (db: Db, userId: number, name: string, secret: JsonObject) =>
  db
    .insert(userSecrets)
    .values({ userId, name, secret })
    .onConflictDoUpdate({ target: [userSecrets.userId, userSecrets.name], set: { secret } });

export const deleteUserSecret = (db: Db, applicationId: number, userId: number, name: string) =>
  db.delete(userSecrets).where(and(ofUser(applicationId, userId), eq(userSecrets.name, name)));
