/**
 * Deleting stored files reliably. What refers to a file (a message, a user's messages, a channel,
 * a user's display picture) is deleted or changed in D1, and the files' deletion recorded in
 * `file_deletions` in the same transaction (a replaced picture: right after); R2 is told afterwards. If R2 (or the request) fails after the commit, the
 * record stays and the scheduled sweep tries again until R2 confirms, so no file outlives what
 * referred to it, and a download of a file whose deletion is pending is refused at once.
 * @example const [queued] = await db.batch([queueMessageFile(db, 1, 7), deleteTheMessage]); await drainFileDeletions(env, queued);
 */
import { and, asc, eq, inArray, or, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import { createDb, openSession, type Db } from "../db/client";
import { chunked, MAX_BOUND_PARAMETERS } from "../db/chunks";
import { applications, channels, fileDeletions, messages, users } from "../db/schema";
import { PICTURE_CHANNEL } from "./pictures";
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

const UUID_LENGTH = 36;

/**
 * SQL: the R2 key of the picture hosted here that `url` (a column or a value) names, and whether
 * it names one of the application's (files/pictures.ts); the URL's origin is not checked, as
 * the download route does not check it.
 */
const hostedPicture = (applicationId: number, url: SQLWrapper) => {
  const marker = `/stompx/v1/files/${applicationId}/${PICTURE_CHANNEL}/`;
  const at = sql`instr(${url}, ${marker})`;
  const id = sql`substr(${url}, ${at} + ${marker.length}, ${UUID_LENGTH})`;
  return {
    key: sql<string>`${`${applicationId}/${PICTURE_CHANNEL}/`} || ${id}`,
    isOne: sql`${at} > 0 and length(${id}) = ${UUID_LENGTH} and substr(${url}, ${at} + ${marker.length + UUID_LENGTH}, 1) = '/'`,
  };
};

/** SQL: no user of the application but `userId` shows `url` as their picture (a picture two users show stays). */
const shownByNoOtherUser = (applicationId: number, userId: number, url: SQLWrapper) =>
  sql`not exists (select 1 from ${users} as others where others.application_id = ${applicationId}
    and others.display_picture_url = ${url} and others.id != ${userId})`;

/**
 * The files of a user's messages and their hosted picture (for the user delete's batch), only if
 * `onlyIf` holds when given.
 */
export const queueUserFiles = (db: Db, applicationId: number, userId: number, onlyIf?: SQL) => {
  const picture = hostedPicture(applicationId, users.displayPictureUrl);
  return db
    .insert(fileDeletions)
    .select((qb) =>
      qb
        .select(deletionRow(messages.applicationId, hostedKey))
        .from(messages)
        .where(and(eq(messages.applicationId, applicationId), eq(messages.userId, userId), onlyIf, sql`${hostedKey} is not null`))
        .unionAll(
          qb
            .select(deletionRow(users.applicationId, picture.key))
            .from(users)
            .where(
              and(
                eq(users.applicationId, applicationId),
                eq(users.id, userId),
                onlyIf,
                picture.isOne,
                shownByNoOtherUser(applicationId, userId, users.displayPictureUrl),
              ),
            ),
        ),
    )
    .returning(returningIds);
};

/** The hosted picture `url` names, if it is one and no user but `userId` shows it (after `userId` stopped showing it). */
export const queueReplacedPicture = (db: Db, applicationId: number, userId: number, url: string) => {
  const value = sql`${url}`;
  const picture = hostedPicture(applicationId, value);
  return db
    .insert(fileDeletions)
    .select((qb) =>
      qb
        .select(deletionRow(applications.id, picture.key))
        .from(applications)
        .where(and(eq(applications.id, applicationId), picture.isOne, shownByNoOtherUser(applicationId, userId, value))),
    )
    .returning(returningIds);
};

/** The stored files of the messages whose ids `ids` selects (for their delete's batch). */
export const queueFilesOfMessageIds = (db: Db, applicationId: number, ids: SQLWrapper) =>
  queueFilesOfMessages(db, applicationId, inArray(messages.id, ids));

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
  // A picture has no channel: it is servable until its deletion is queued.
  if (channelId === PICTURE_CHANNEL) {
    return !(await db.select({ id: fileDeletions.id }).from(fileDeletions).where(eq(fileDeletions.target, key)).limit(1).get());
  }
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
