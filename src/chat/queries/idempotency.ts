/** Idempotency keys of persisted channels' messages (see `chat/idempotency.ts`). */
import { and, eq, gt, inArray, lte, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { idempotencyKeys } from "../../db/schema";
import { IDEMPOTENCY_KEY_TTL_MS } from "../idempotency";

const expiresBefore = (now: number) => new Date(now - IDEMPOTENCY_KEY_TTL_MS);

const keyOf = (applicationId: number, key: string) => and(eq(idempotencyKeys.applicationId, applicationId), eq(idempotencyKeys.key, key));

/** The application's unexpired record of `key`, if any. */
export const findIdempotencyKey = (db: Db, applicationId: number, key: string) =>
  db
    .select({ fingerprint: idempotencyKeys.fingerprint, messageId: idempotencyKeys.messageId })
    .from(idempotencyKeys)
    .where(and(keyOf(applicationId, key), gt(idempotencyKeys.createdAt, expiresBefore(Date.now()))))
    .get();

/** Deletes the record of `key` if it expired (not swept yet), so the key can be used again. */
export const forgetExpiredKeyQuery = (db: Db, applicationId: number, key: string) =>
  db.delete(idempotencyKeys).where(and(keyOf(applicationId, key), lte(idempotencyKeys.createdAt, expiresBefore(Date.now()))));

const SWEEP_CHUNK = 1000;

/**
 * Deletes every key older than a day, `SWEEP_CHUNK` rows per statement so that no statement holds
 * the database for long however many keys piled up; returns how many were deleted.
 * @example ctx.waitUntil(sweepIdempotencyKeys(createDb(openSession(env.DB)), controller.scheduledTime))
 */
export const sweepIdempotencyKeys = async (db: Db, now: Date | number): Promise<number> => {
  const cutoff = expiresBefore(new Date(now).getTime());
  let total = 0;
  for (;;) {
    const expired = db.select({ rowid: sql`rowid` }).from(idempotencyKeys).where(lte(idempotencyKeys.createdAt, cutoff)).limit(SWEEP_CHUNK);
    const { meta } = await db.delete(idempotencyKeys).where(inArray(sql`rowid`, expired)).run();
    total += meta.changes;
    if (meta.changes < SWEEP_CHUNK) return total;
  }
};
