/**
 * The two steps of a job. Split reads the upload once and writes it back as chunks of
 * CHUNK_ROWS rows, one queue message each, so no invocation parses or imports more than a chunk's
 * worth beyond the split itself. Both steps may run again (queue delivery is at least once):
 * split resends the chunks not yet done, a chunk rewrites its own result.
 */
import type { Db } from "../db/client";
import type { JobType } from "../db/schema";
import { chunkKey, type ChunkFile, deleteJobFiles } from "./files";
import { type JobMessage, sendJobMessages } from "./messages";
import { type ChunkResult, failJob, findJob, type JobRow, recordChunk, startJob, undoneChunks } from "./queries";
import { MAX_ERRORS_PER_CHUNK } from "./row-errors";
import { importMembers } from "./member-import";
import { importUsers } from "./user-import";

/** Rows per chunk: a users chunk is 60 insert statements in one D1 batch, well within a queue invocation. */
export const CHUNK_ROWS = 1000;

type Importer = (db: Db, job: JobRow, rows: unknown[], first: number) => Promise<Omit<ChunkResult, "failed">>;

const IMPORTERS: Partial<Record<JobType, Importer>> = {
  USER_IMPORT: (db, job, rows, first) => importUsers(db, job.applicationId, rows, first),
  // The channel was checked when the import was accepted; deleted since, the inserts fail and so does the job.
  CHANNEL_MEMBERS_IMPORT: (db, job, rows, first) => importMembers(db, job.applicationId, job.channelId ?? 0, rows, first),
};

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
  const count = Math.ceil(rows.length / CHUNK_ROWS);
  const indexes = Array.from({ length: count }, (_, i) => i);
  await Promise.all(
    indexes.map((i) => {
      const chunk: ChunkFile = { first: i * CHUNK_ROWS, rows: rows.slice(i * CHUNK_ROWS, (i + 1) * CHUNK_ROWS) };
      return env.FILES.put(chunkKey(prefix, i), JSON.stringify(chunk));
    }),
  );
  await startJob(db, job.id, rows.length, count);
  if (count === 0) return deleteJobFiles(env.FILES, prefix);
  await sendJobMessages(env.JOBS, chunkMessages(job, indexes));
};

const runChunk = async (env: Env, db: Db, job: JobRow, chunk: number) => {
  const importer = IMPORTERS[job.type];
  if (job.state !== "RUNNING" || !importer) return;
  const prefix = prefixOf(job);
  const object = await env.FILES.get(chunkKey(prefix, chunk));
  if (!object) return;
  const { first, rows } = await object.json<ChunkFile>();
  const { imported, skipped, errors } = await importer(db, job, rows, first);
  const finished = await recordChunk(db, job.id, chunk, {
    imported,
    skipped,
    failed: errors.length,
    errors: errors.slice(0, MAX_ERRORS_PER_CHUNK),
  });
  if (finished) await deleteJobFiles(env.FILES, prefix);
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
