/**
 * The two steps of a job. Split reads the upload once and writes it back as chunks of at most
 * CHUNK_ROWS rows of its type (fewer when they are large), one queue message each, so no
 * invocation parses or imports more than a chunk's worth beyond the split itself. Both steps may run again (queue delivery is at least once):
 * split resends the chunks not yet done, and a chunk commits its records with its result in one
 * transaction, so a chunk delivered again after it committed writes nothing.
 */
import type { Db } from "../db/client";
import { isUniqueViolation } from "../db/errors";
import type { JobType } from "../db/schema";
import { importChannels } from "./channel-import";
import { chunkKey, type ChunkFile, deleteJobFiles } from "./files";
import { importMembers } from "./member-import";
import { importMessages } from "./message-import";
import { type JobMessage, sendJobMessages } from "./messages";
import { type ChunkPlan, commitChunk, failJob, findJob, isChunkDone, type JobRow, startJob, undoneChunks } from "./queries";
import { MAX_ERRORS_PER_CHUNK } from "./row-errors";
import { importUsers } from "./user-import";

/**
 * Rows per chunk, each chunk one D1 batch with its result, sized by what a row may write: a user,
 * member or message is one or two statements (a keyed record goes alone, with its key's statement;
 * unkeyed messages share multi-row inserts); a channel is up to five (its insert, its key, its
 * members by 98, clearing its marker) and up to 100 memberships, so 250 channels write at most
 * 25,000 memberships in about 1,250 statements. Measured in workerd (queue delivery included):
 * a job of 1,000 keyed messages (2,000 statements in one batch) ends in about 3 s, one of 1,000
 * channels of 100 members in one chunk (5,000 statements, 100,000 memberships) in about 6 s; a
 * queue invocation may run for minutes, and channels are chunked smaller to keep each
 * transaction's writes moderate.
 */
export const CHUNK_ROWS: Record<JobType, number> = {
  USER_IMPORT: 1000,
  CHANNEL_MEMBERS_IMPORT: 1000,
  MESSAGE_IMPORT: 1000,
  CHANNEL_IMPORT: 250,
};

type Importer = (db: Db, job: JobRow, rows: unknown[], first: number) => Promise<ChunkPlan>;

const IMPORTERS: Record<JobType, Importer> = {
  USER_IMPORT: (db, job, rows, first) => importUsers(db, job.applicationId, rows, first),
  CHANNEL_IMPORT: (db, job, rows, first) => importChannels(db, job.applicationId, rows, first),
  // The channel was checked when the import was accepted; deleted since, the inserts fail and so does the job.
  CHANNEL_MEMBERS_IMPORT: (db, job, rows, first) => importMembers(db, job.applicationId, job.channelId ?? 0, rows, first),
  MESSAGE_IMPORT: (db, job, rows, first) => importMessages(db, job.applicationId, rows, first),
};

/**
 * JSON text per chunk, besides its row count: what one chunk's batch carries to D1 stays a few
 * MiB however large the file's records are (each is at most MAX_RECORD_CHARS, see row-errors.ts).
 */
const CHUNK_CHARS = 4 * 1024 * 1024;

/** Where each chunk starts and ends: `chunkRows` rows, fewer when they pass CHUNK_CHARS (never none). */
const chunkBounds = (rows: unknown[], chunkRows: number) => {
  const bounds: { first: number; end: number }[] = [];
  let first = 0;
  let chars = 0;
  rows.forEach((row, i) => {
    const size = JSON.stringify(row)?.length ?? 0;
    if (i > first && (i - first === chunkRows || chars + size > CHUNK_CHARS)) {
      bounds.push({ first, end: i });
      first = i;
      chars = 0;
    }
    chars += size;
  });
  if (rows.length > first) bounds.push({ first, end: rows.length });
  return bounds;
};

/** Plans of one chunk: a key another chunk recorded meanwhile fails the batch, and the chunk is planned again. */
const MAX_PLANS = 3;

const prefixOf = (job: JobRow) => job.fileKey.slice(0, job.fileKey.lastIndexOf("/") + 1);

const chunkMessages = (job: JobRow, chunks: number[]): JobMessage[] =>
  chunks.map((chunk) => ({ kind: "chunk", applicationId: job.applicationId, jobId: job.id, chunk }));

const splitJob = async (env: Env, db: Db, job: JobRow) => {
  if (job.state === "RUNNING") return sendJobMessages(env.JOBS, chunkMessages(job, await undoneChunks(db, job.id)));
  if (job.state !== "PENDING") return;
  const upload = await env.FILES.get(job.fileKey);
  const rows: unknown = upload ? JSON.parse(await upload.text()) : undefined;
  if (!Array.isArray(rows)) return failJob(db, job.id, "The file is not a JSON array");
  const prefix = prefixOf(job);
  const chunks = chunkBounds(rows, CHUNK_ROWS[job.type]);
  const count = chunks.length;
  const indexes = chunks.map((_, i) => i);
  await Promise.all(
    chunks.map(({ first, end }, i) => {
      const chunk: ChunkFile = { first, rows: rows.slice(first, end) };
      return env.FILES.put(chunkKey(prefix, i), JSON.stringify(chunk));
    }),
  );
  await startJob(db, job.id, rows.length, count);
  if (count === 0) return deleteJobFiles(env.FILES, prefix);
  await sendJobMessages(env.JOBS, chunkMessages(job, indexes));
};

const runChunk = async (env: Env, db: Db, job: JobRow, chunk: number) => {
  if (job.state !== "RUNNING") return;
  const prefix = prefixOf(job);
  const object = await env.FILES.get(chunkKey(prefix, chunk));
  if (!object) return;
  const { first, rows } = await object.json<ChunkFile>();
  for (let plan = 1; ; plan++) {
    if (await isChunkDone(db, job.id, chunk)) return;
    const { writes, imported, skipped, errors } = await IMPORTERS[job.type](db, job, rows, first);
    const result = { imported, skipped, failed: errors.length, errors: errors.slice(0, MAX_ERRORS_PER_CHUNK) };
    try {
      if (await commitChunk(db, job.id, chunk, writes, result)) await deleteJobFiles(env.FILES, prefix);
      return;
    } catch (e) {
      // A key (or, once done, the chunk itself) committed meanwhile: plan again from what is there now.
      if (!isUniqueViolation(e) || plan === MAX_PLANS) throw e;
    }
  }
};

/** Runs one queue message's step, if its job still exists. */
export const runJobMessage = async (env: Env, db: Db, message: JobMessage) => {
  const job = await findJob(db, message.applicationId, message.jobId);
  if (!job) return;
  if (message.kind === "split") return splitJob(env, db, job);
  return runChunk(env, db, job, message.chunk);
};

/** After the last retry: the job fails rather than waiting forever, and its files go. */
export const giveUp = async (env: Env, db: Db, message: JobMessage, error: unknown) => {
  await failJob(db, message.jobId, `The import stopped: ${String(error)}`);
  const job = await findJob(db, message.applicationId, message.jobId);
  if (job) await deleteJobFiles(env.FILES, prefixOf(job));
};
