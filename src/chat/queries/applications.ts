import { eq } from "drizzle-orm";
import type { Db } from "../../db/client";
import { applications } from "../../db/schema";

export const findApplicationQuery = (db: Db, applicationId: number) =>
  db
    .select({
      id: applications.id,
      name: applications.name,
      key: applications.key,
      requireAuthenticatedSessions: applications.requireAuthenticatedSessions,
    })
    .from(applications)
    .where(eq(applications.id, applicationId));

export const findApplication = (db: Db, applicationId: number) => findApplicationQuery(db, applicationId).get();

/** The application a chat session names by its client-side API key. */
export const findApplicationByKey = (db: Db, key: string) =>
  db
    .select({ id: applications.id, requireAuthenticatedSessions: applications.requireAuthenticatedSessions })
    .from(applications)
    .where(eq(applications.key, key))
    .get();
