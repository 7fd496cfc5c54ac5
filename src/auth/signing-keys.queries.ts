/**
 * The `signing_keys` statements, shared by the Worker (auth/key-ring.ts) and the deploy and keys
 * scripts (scripts/deploy/), which run them against the remote database through wrangler. They
 * return query builders, not results, so a caller can put several in one D1 batch (all or
 * nothing). A leaf module: the scripts run it on Node's type stripping, hence the `.ts` import.
 */
import { and, desc, eq, gt, isNull, lt, lte, ne, or } from "drizzle-orm";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import { signingKeys } from "../db/schema.ts";

/**
 * Tokens signed with a key that is being replaced can still be issued for a moment by isolates
 * that have not yet picked up the new secret: a retired key verifies for this long on top of the
 * token lifetime. Keys recorded less than this long ago are not retired by the scheduled sweep
 * either (a rotation in progress has published its key but not yet installed it).
 */
export const ROTATION_MARGIN_MS = 10 * 60_000;

// biome-ignore lint/suspicious/noExplicitAny: the Worker's D1 client and the scripts' proxy client differ only in these parameters.
type AnyDb = BaseSQLiteDatabase<"async", any, any>;

/** Keys that verify tokens at `now`: not retired, or retired and still inside their window. */
export const selectAcceptedKeys = (db: AnyDb, now: number) =>
  db
    .select({ kid: signingKeys.kid, publicJwk: signingKeys.publicJwk, acceptedUntil: signingKeys.acceptedUntil })
    .from(signingKeys)
    .where(or(isNull(signingKeys.acceptedUntil), gt(signingKeys.acceptedUntil, new Date(now))));

/** Records a key's public half; a key already recorded keeps its row (and its retirement, if any). */
export const insertKey = (db: AnyDb, kid: string, publicJwk: object) =>
  db
    .insert(signingKeys)
    .values({ kid, publicJwk: JSON.stringify(publicJwk) })
    .onConflictDoNothing();

/**
 * Retires every unretired key except `keepKid` (and, given `recordedBefore`, except keys recorded
 * since): they stop signing at `now` and verify until `acceptedUntil`.
 */
export const retireKeysExcept = (db: AnyDb, keepKid: string, window: { now: number; acceptedUntil: number; recordedBefore?: number }) => {
  // A NaN would be stored as NULL, which means "accepted forever": refuse it before it is written.
  if (!Number.isFinite(window.now) || !Number.isFinite(window.acceptedUntil)) {
    throw new RangeError(`retiring keys needs finite times, got ${window.now} and ${window.acceptedUntil}`);
  }
  return db
    .update(signingKeys)
    .set({ retiredAt: new Date(window.now), acceptedUntil: new Date(window.acceptedUntil) })
    .where(
      and(
        isNull(signingKeys.acceptedUntil),
        ne(signingKeys.kid, keepKid),
        window.recordedBefore === undefined ? undefined : lt(signingKeys.createdAt, new Date(window.recordedBefore)),
      ),
    );
};

/** Every recorded key, newest first (`npm run keys -- list`). */
export const selectAllKeys = (db: AnyDb) =>
  db
    .select({
      kid: signingKeys.kid,
      createdAt: signingKeys.createdAt,
      retiredAt: signingKeys.retiredAt,
      acceptedUntil: signingKeys.acceptedUntil,
    })
    .from(signingKeys)
    .orderBy(desc(signingKeys.createdAt));

/** Forgets one key: a rotation that failed before its key was installed takes it back. */
export const deleteKey = (db: AnyDb, kid: string) => db.delete(signingKeys).where(eq(signingKeys.kid, kid));

/** Forgets keys whose window has closed: nothing they signed is accepted any more. */
export const deleteExpiredKeys = (db: AnyDb, now: number) => db.delete(signingKeys).where(lte(signingKeys.acceptedUntil, new Date(now)));
