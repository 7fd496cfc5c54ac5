/**
 * `idempotencyKey`s of imported records (`import_keys`), per application and kind. A key is
 * recorded by a plain insert in the same batch as its record: a key recorded meanwhile (another
 * chunk or job with the same key committed first) fails the batch with a UNIQUE violation and
 * rolls the record back, so one key never imports two records.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { chunked, MAX_BOUND_PARAMETERS } from "../../db/chunks";
import type { Db } from "../../db/client";
import { applications, type ImportKind, importKeys } from "../../db/schema";

/** Keys per lookup: the statement also binds the application and the kind. */
const KEYS_PER_LOOKUP = MAX_BOUND_PARAMETERS - 2;

/** Which of these keys of this kind the application has imported already. */
export const importedKeys = async (db: Db, applicationId: number, kind: ImportKind, keys: string[]): Promise<Set<string>> => {
  const [first, ...rest] = chunked([...new Set(keys)], KEYS_PER_LOOKUP).map((chunk) =>
    db
      .select({ key: importKeys.key })
      .from(importKeys)
      .where(and(eq(importKeys.applicationId, applicationId), eq(importKeys.kind, kind), inArray(importKeys.key, chunk))),
  );
  if (!first) return new Set();
  return new Set((await db.batch([first, ...rest])).flat().map((row) => row.key));
};

/** Records a key for `resourceId`, what the record created. */
export const recordImportKey = (db: Db, applicationId: number, kind: ImportKind, key: string, resourceId: number) =>
  db.insert(importKeys).values({ applicationId, kind, key, resourceId });

/**
 * Records a key for the row the batch's previous statement inserted, and nothing when it inserted
 * none (a name taken meanwhile): `changes()` and `last_insert_rowid()` describe that statement,
 * since a batch runs on one connection.
 */
export const recordImportKeyOfLastInsert = (db: Db, applicationId: number, kind: ImportKind, key: string) =>
  db.insert(importKeys).select((qb) =>
    qb
      .select({
        applicationId: applications.id,
        kind: sql<ImportKind>`${kind}`.as("kind"),
        key: sql<string>`${key}`.as("key"),
        resourceId: sql<number>`last_insert_rowid()`.as("resource_id"),
        createdAt: sql<Date>`${importKeys.createdAt.default}`.as("created_at"),
      })
      .from(applications)
      .where(and(eq(applications.id, applicationId), sql`changes() = 1`)),
  );
