import { and, eq, isNull } from "drizzle-orm";
import type { Db } from "../db/client";
import { applications, clientCredentials } from "../db/schema";

/** The live (not revoked) credential with this client id, with its application's owner. */
export const findActiveCredential = async (db: Db, clientId: string) =>
  db
    .select({
      clientId: clientCredentials.clientId,
      secretHash: clientCredentials.secretHash,
      applicationId: applications.id,
      organizationId: applications.organizationId,
    })
    .from(clientCredentials)
    .innerJoin(applications, eq(applications.id, clientCredentials.applicationId))
    .where(and(eq(clientCredentials.clientId, clientId), isNull(clientCredentials.revokedAt)))
    .get();
