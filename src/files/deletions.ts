/**
 * Deleting stored files reliably. What refers to a file (a message, a user's messages, a channel)
 * is deleted from D1 in the same transaction that records the files' deletion in
 * `file_deletions`; R2 is told afterwards. If R2 (or the request) fails after the commit, the
 * record stays and the scheduled sweep tries again until R2 confirms, so no file outlives what
 * referred to it, and a download of a file whose deletion is pending is refused at once.
 * @example const [queued] = await db.batch([queueMessageFile(db, 1, 7), deleteTheMessage]); await drainFileDeletions(env, queued);
 */
import { and, asc, eq, inArray, or, sql, type SQL } from "drizzle-orm";
import { createDb, openSession, type Db } from "../db/client";
import { chunked, MAX_BOUND_PARAMETERS } from "../db/chunks";
import { channels, fileDeletions, messages } from "../db/schema";
import { deleteFilesUnder, R2_MAX_KEYS_PER_CALL } from "./storage";

/** Records per sweep (a record may be a whole channel): the rest waits for the next run. */
const SWEEP_BATCH = 1000;

const hostedKey = sql<string>`json_extract(${messages.file}, '$.key')`;

/** The columns of a `file_deletions` row inserted by INSERT … SELECT (the id and clock are SQLite's). */
const deletionRow = (applicationId: unknown, target: unknown) => ({
  id: sql<number>`null`.as("id"),
  applicationId: sql<number>`${applicationId}`.as("application_id"),
  target: sql<string>`${target}`.as("target"),
  attempts: sql<number>`0`.as("attempts"),
  createdAt: sql<Date>`${fileDeletions.createdAt.default}`.as("created_at"),
});

/** What a queued record says: enough to carry it out without reading it back. */
const returningIds = { id: fileDeletions.id, target: fileDeletions.target };
export type FileDeletion = { id: number; target: string };

/** Records the deletion of every file of a channel, if it exists (for the channel delete's batch). */
export const queueChannelFiles = (db: Db, applicationId: number, channelId: number) =>
  db
    .insert(fileDeletions)
    .select((qb) =>
      qb
        .select(deletionRow(channels.applicationId, `${applicationId}/${channelId}/`))
        .from(channels)
        .where(and(eq(channels.applicationId, applicationId), eq(channels.id, channelId))),
    )
    .returning(returningIds);

/** Records the deletion of the stored files of the messages `which` selects (for their delete's batch). */
const queueFilesOfMessages = (db: Db, applicationId: number, which: SQL | undefined) =>
  db
    .insert(fileDeletions)
    .select((qb) =>
      qb
        .select(deletionRow(messages.applicationId, hostedKey))
        .from(messages)
        .where(and(eq(messages.applicationId, applicationId), which, sql`${hostedKey} is not null`)),
    )
    .returning(returningIds);

/** The files of a user's messages (for the user delete's batch), only if `onlyIf` holds when given. */
export const queueUserFiles = (db: Db, applicationId: number, userId: number, onlyIf?: SQL) =>
  queueFilesOfMessages(db, applicationId, and(eq(messages.userId, userId), onlyIf));

/** A message's stored file, if it has one (for the message delete's batch). */
export const queueMessageFile = (db: Db, applicationId: number, messageId: number) =>
  queueFilesOfMessages(db, applicationId, eq(messages.id, messageId));

/**
 * Deletes from R2 what the given records (just queued by a delete; without them, the oldest
 * pending ones) name, and the records R2 confirmed. Never throws: a failure is counted on its
 * record and logged, and the sweep tries again. Returns how many records were completed.
 */
export const drainFileDeletions = async (env: Env, queued?: FileDeletion[]): Promise<number> => {
  const db = createDb(openSession(env.DB));
  try {
    const rows = queued ?? (await db.select(returningIds).from(fileDeletions).orderBy(asc(fileDeletions.id)).limit(SWEEP_BATCH));
    let done = 0;
    // Single keys go to R2 a thousand at a time; a channel prefix is listed and deleted page by page.
    const keys = rows.filter((r) => !r.target.endsWith("/"));
    const work = [
      ...chunked(keys, R2_MAX_KEYS_PER_CALL).map((batch) => ({ rows: batch, run: () => env.FILES.delete(batch.map((r) => r.target)) })),
      ...rows.filter((r) => r.target.endsWith("/")).map((r) => ({ rows: [r], run: () => deleteFilesUnder(env.FILES, r.target) })),
    ];
    for (const { rows: batch, run } of work) {
      const batchIds = batch.map((r) => r.id);
      try {
        await run();
        for (const chunk of chunked(batchIds, MAX_BOUND_PARAMETERS)) await db.delete(fileDeletions).where(inArray(fileDeletions.id, chunk));
        done += batch.length;
      } catch (e) {
        for (const chunk of chunked(batchIds, MAX_BOUND_PARAMETERS)) {
          await db
            .update(fileDeletions)
            .set({ attempts: sql`${fileDeletions.attempts} + 1` })
            .where(inArray(fileDeletions.id, chunk))
            .catch(() => undefined);
        }
        console.error(
          JSON.stringify({
            level: "error",
            event: "file_deletion_failed",
            targets: batch.length,
            first: batch[0]?.target,
            error: e instanceof Error ? e.message : String(e),
          }),
        );
      }
    }
    return done;
  } catch (e) {
    console.error(
      JSON.stringify({ level: "error", event: "file_deletions_unreadable", error: e instanceof Error ? e.message : String(e) }),
    );
    return 0;
  }
};

/**
 * Whether a hosted file may still be served: its channel exists and neither the file nor its
 * channel's files are waiting to be deleted.
 */
export const isFileServable = async (db: Db, applicationId: number, channelId: number, key: string) => {
  const [[channel], [pending]] = await db.batch([
    db
      .select({ id: channels.id })
      .from(channels)
      .where(and(eq(channels.applicationId, applicationId), eq(channels.id, channelId))),
    db
      .select({ id: fileDeletions.id })
      .from(fileDeletions)
      .where(or(eq(fileDeletions.target, key), eq(fileDeletions.target, `${applicationId}/${channelId}/`)))
      .limit(1),
  ]);
  return Boolean(channel) && !pending;
};
