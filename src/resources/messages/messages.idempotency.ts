/**
 * `Idempotency-Key` on `POST {channel messages}`: a client that did not hear the answer (a
 * timeout, a dropped connection) retries with the same key and gets the first request's message
 * back instead of sending it twice. A key names one request: its fingerprint (a SHA-256 over the
 * method, the channel's path and what the body asks for, file bytes included) is stored with it,
 * and the same key with another request is refused. Keys are kept a day, per application: in D1
 * for persisted channels (written in the message's own transaction, see messages.queries.ts), in
 * the channel's room for OPEN channels (whose messages never reach D1).
 * @example const claim = { key: "order-42", fingerprint: await requestFingerprint(1, 7, content) }
 */
import { z } from "@hono/zod-openapi";
import { and, eq, gt, inArray, lte, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { idempotencyKeys } from "../../db/schema";
import { ApiError } from "../../http/errors";

/** How long a key is remembered: far longer than any client keeps retrying one request. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 60 * 60 * 1000;

/** A request's key and what it asked for, as stored with the message it sent. */
export interface IdempotencyClaim {
  key: string;
  fingerprint: string;
}

/** Request headers as the validator sees them: names lowercased (so the document's name is too). */
export const IdempotencyHeaders = z.object({
  "idempotency-key": z
    .string()
    .regex(/^[\x20-\x7E]{1,255}$/, "Idempotency-Key must be 1 to 255 printable ASCII characters")
    .optional()
    .openapi({
      description:
        "Makes retries safe. Keys are kept 24 hours, per application: a request with a known key sends nothing " +
        "and answers the message the first request sent (201, same id). The same key with a different request " +
        "(another channel, body or file) is refused: 409 DuplicateResourceError. 1 to 255 printable ASCII characters, e.g. a UUID.",
      example: "5f0c7b8e-2a41-4d8e-9a57-8d1c3e6f4b20",
    }),
});

/** The same key sent with another request: which of the two was meant is the client's to say. */
export const keyReused = (key: string) =>
  new ApiError("DuplicateResourceError", `Idempotency-Key "${key}" was already used for a different request`, {
    "Idempotency-Key": "was used for a different request (another channel, body or file) in the last 24 hours",
  });

const toHex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

/**
 * Hex SHA-256 of what a POST to the channel's messages asks for. `content` must be built the same
 * way for equal requests (a fixed key order), so that `{body}` and `{type: "TEXT", body}` agree.
 */
export const requestFingerprint = async (applicationId: number, channelId: number, content: unknown) => {
  const request = ["POST", `/v1/applications/${applicationId}/channels/${channelId}/messages`, content];
  return toHex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(request))));
};

/** Hex SHA-256 of a file's bytes, streamed: an upload may be as large as MAX_FILE_BYTES. */
export const fileDigest = async (file: Blob) => {
  const digest = new crypto.DigestStream("SHA-256");
  await file.stream().pipeTo(digest);
  return toHex(await digest.digest);
};

const expiresBefore = (now: number) => new Date(now - IDEMPOTENCY_KEY_TTL_MS);

const keyOf = (applicationId: number, key: string) =>
  and(eq(idempotencyKeys.applicationId, applicationId), eq(idempotencyKeys.key, key));

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
 * @example ctx.waitUntil(sweepIdempotencyKeys(createDb(env.DB), controller.scheduledTime))
 */
export const sweepIdempotencyKeys = async (db: Db, now: Date | number): Promise<number> => {
  const cutoff = expiresBefore(new Date(now).getTime());
  let total = 0;
  for (;;) {
    const expired = db
      .select({ rowid: sql`rowid` })
      .from(idempotencyKeys)
      .where(lte(idempotencyKeys.createdAt, cutoff))
      .limit(SWEEP_CHUNK);
    const { meta } = await db.delete(idempotencyKeys).where(inArray(sql`rowid`, expired)).run();
    total += meta.changes;
    if (meta.changes < SWEEP_CHUNK) return total;
  }
};
