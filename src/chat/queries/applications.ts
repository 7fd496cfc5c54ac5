import { and, eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { applications, type JsonObject } from "../../db/schema";

const applicationColumns = {
  id: applications.id,
  name: applications.name,
  key: applications.key,
  requireAuthenticatedSessions: applications.requireAuthenticatedSessions,
  userCreatedChannels: applications.userCreatedChannels,
  properties: applications.properties,
  createdAt: applications.createdAt,
};
export interface ApplicationRow {
  id: number;
  name: string;
  key: string;
  requireAuthenticatedSessions: boolean;
  userCreatedChannels: boolean;
  properties: JsonObject;
  createdAt: Date;
}

export const findApplicationQuery = (db: Db, applicationId: number) =>
  db.select(applicationColumns).from(applications).where(eq(applications.id, applicationId));

export const findApplication = (db: Db, applicationId: number): Promise<ApplicationRow | undefined> =>
  findApplicationQuery(db, applicationId).get();

/** What the application's settings switch: guest sessions, and channels created by chat sessions. */
export type ApplicationSettings = Pick<ApplicationRow, "requireAuthenticatedSessions" | "userCreatedChannels">;

/**
 * Applies the settings; undefined when the application is gone, or, given `expected`, when its
 * settings are no longer those (a write in between: the caller's If-Match lost).
 */
export const updateApplicationSettings = (db: Db, applicationId: number, settings: ApplicationSettings, expected?: ApplicationSettings) =>
  db
    .update(applications)
    .set(settings)
    .where(
      and(
        eq(applications.id, applicationId),
        expected && eq(applications.requireAuthenticatedSessions, expected.requireAuthenticatedSessions),
        expected && eq(applications.userCreatedChannels, expected.userCreatedChannels),
      ),
    )
    .returning(applicationColumns)
    .get() as Promise<ApplicationRow | undefined>;

/** The application a chat session names by its client-side API key. */
export const findApplicationByKey = (db: Db, key: string) =>
  db
    .select({ id: applications.id, requireAuthenticatedSessions: applications.requireAuthenticatedSessions })
    .from(applications)
    .where(eq(applications.key, key))
    .get();
