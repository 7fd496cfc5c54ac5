import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { applications, clientCredentials } from "../db/schema";

/**
 * The live (not revoked) credential with this client id, with its application's owner and
 * current token epoch: one query serves the whole token request.
 */
export const findActiveCredential = async (db: Db, clientId: string) =>
  db
    .select({
      clientId: clientCredentials.clientId,
      secretHash: clientCredentials.secretHash,
      applicationId: applications.id,
      organizationId: applications.organizationId,
      tokenEpoch: applications.tokenEpoch,
    })
    .from(clientCredentials)
    .innerJoin(applications, eq(applications.id, clientCredentials.applicationId))
    .where(and(eq(clientCredentials.clientId, clientId), isNull(clientCredentials.revokedAt)))
    .get();

/** The application's token epoch, or undefined when there is no such application. */
export const findTokenEpoch = async (db: Db, applicationId: number): Promise<number | undefined> =>
  (await db.select({ tokenEpoch: applications.tokenEpoch }).from(applications).where(eq(applications.id, applicationId)).get())?.tokenEpoch;

/**
 * Raises the application's token epoch by one (what `npm run app -- tokens revoke-all` does) and
 * returns the new epoch, or undefined when there is no such application.
 */
export const raiseTokenEpoch = async (db: Db, applicationId: number): Promise<number | undefined> =>
  (
    await db
      .update(applications)
      .set({ tokenEpoch: sql`${applications.tokenEpoch} + 1` })
      .where(eq(applications.id, applicationId))
      .returning({ tokenEpoch: applications.tokenEpoch })
      .get()
  )?.tokenEpoch;
