/**
 * Jobs and their chunks in D1. A job's counts are the sums over its chunks: a chunk records its
 * result by overwriting its own row, so a queue redelivery never counts a row twice, and the job
 * finishes in the same transaction as its last chunk.
 */
import { and, asc, count, desc, eq, inArray, notExists, sql } from "drizzle-orm";
import { chunked, MAX_BOUND_PARAMETERS } from "../db/chunks";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "../db/client";
import { JOB_STATES, type JobState, type JobType, jobChunks, jobs, type RowError } from "../db/schema";

export interface JobRow {
  id: number;
  applicationId: number;
  type: JobType;
  state: JobState;
  fileName: string;
  fileKey: string;
  channelId: number | null;
  totalRows: number | null;
  failure: string | null;
  createdAt: Date;
  endedAt: Date | null;
  imported: number;
  skipped: number;
  failed: number;
}

const sumOf = (column: typeof jobChunks.imported | typeof jobChunks.skipped | typeof jobChunks.failed) =>
  sql<number>`(select coalesce(sum(${column}), 0) from ${jobChunks} where ${jobChunks.jobId} = ${jobs.id})`.mapWith(Number);

const jobColumns = {
  id: jobs.id,
  applicationId: jobs.applicationId,
  type: jobs.type,
  state: jobs.state,
  fileName: jobs.fileName,
  fileKey: jobs.fileKey,
  channelId: jobs.channelId,
  totalRows: jobs.totalRows,
  failure: jobs.failure,
  createdAt: jobs.createdAt,
  endedAt: jobs.endedAt,
  imported: sumOf(jobChunks.imported),
  skipped: sumOf(jobChunks.skipped),
  failed: sumOf(jobChunks.failed),
};

export const insertJob = (
  db: Db,
  applicationId: number,
  job: { type: JobType; fileName: string; fileKey: string; channelId?: number | undefined },
): Promise<JobRow> =>
  db
    .insert(jobs)
    .values({ applicationId, ...job })
    .returning({ ...jobColumns, imported: sql<number>`0`, skipped: sql<number>`0`, failed: sql<number>`0` })
    .get() as Promise<JobRow>;

/** A job of this application; the consumer, which serves every application, passes the message's. */
export const findJob = (db: Db, applicationId: number, jobId: number): Promise<JobRow | undefined> =>
  db
    .select(jobColumns)
    .from(jobs)
    .where(and(eq(jobs.applicationId, applicationId), eq(jobs.id, jobId)))
    .get();

/** The first `limit` rows that were not imported, in file order. */
export const jobErrors = async (db: Db, jobId: number, limit: number): Promise<RowError[]> => {
  const chunks = await db
    .select({ errors: jobChunks.errors })
    .from(jobChunks)
    .where(and(eq(jobChunks.jobId, jobId), sql`${jobChunks.failed} > 0`))
    .orderBy(asc(jobChunks.chunk))
    .limit(limit);
  return chunks.flatMap((c) => c.errors).slice(0, limit);
};

export type JobSortProperty = "id" | "createdTime";
export const JOB_SORT_PROPERTIES: readonly JobSortProperty[] = ["id", "createdTime"];

const RUNNING_STATES: JobState[] = ["PENDING", "RUNNING"];
const ENDED_STATES = JOB_STATES.filter((s) => !RUNNING_STATES.includes(s));

export const listJobsPage = async (
  db: Db,
  applicationId: number,
  offset: number,
  limit: number,
  { running, sort = [] }: { running?: boolean | undefined; sort?: { property: JobSortProperty; descending: boolean }[] | undefined },
) => {
  const where = and(
    eq(jobs.applicationId, applicationId),
    running === undefined ? undefined : inArray(jobs.state, running ? RUNNING_STATES : ENDED_STATES),
  );
  // Ids increase with creation time: both properties order by id.
  const order = [...sort.map((s) => (s.descending ? desc(jobs.id) : asc(jobs.id))), asc(jobs.id)];
  const [rows, [total]] = await db.batch([
    db
      .select(jobColumns)
      .from(jobs)
      .where(where)
      .orderBy(...order)
      .limit(limit)
      .offset(offset),
    db.select({ n: count() }).from(jobs).where(where),
  ]);
  return { rows: rows as JobRow[], total: total?.n ?? 0 };
};

/** Parameters one `job_chunks` row binds: Drizzle binds every column's default too (SQLite has no DEFAULT keyword). */
const PARAMETERS_PER_CHUNK = 7;

/** PENDING → RUNNING with one undone row per chunk; a job of no rows finishes at once. */
export const startJob = async (db: Db, jobId: number, totalRows: number, chunkCount: number) => {
  const indexes = Array.from({ length: chunkCount }, (_, chunk) => ({ jobId, chunk }));
  const inserts = chunked(indexes, Math.floor(MAX_BOUND_PARAMETERS / PARAMETERS_PER_CHUNK)).map((rows) =>
    db.insert(jobChunks).values(rows).onConflictDoNothing(),
  );
  const start = db
    .update(jobs)
    .set(
      chunkCount === 0
        ? { state: "FINISHED", totalRows, endedAt: sql`(cast(unixepoch('subsec') * 1000 as integer))` }
        : { state: "RUNNING", totalRows },
    )
    .where(and(eq(jobs.id, jobId), eq(jobs.state, "PENDING")));
  await db.batch([start, ...inserts]);
};

/** Chunks of a RUNNING job not yet done (to send again when its split is redelivered). */
export const undoneChunks = async (db: Db, jobId: number): Promise<number[]> =>
  (
    await db
      .select({ chunk: jobChunks.chunk })
      .from(jobChunks)
      .where(and(eq(jobChunks.jobId, jobId), eq(jobChunks.done, false)))
  ).map((r) => r.chunk);

export interface ChunkResult {
  imported: number;
  skipped: number;
  errors: RowError[];
  failed: number;
}

/**
 * What an importer makes of a chunk's rows, before anything is written: each record's writes
 * (a record's rows and its key always together) and the counts they come to.
 */
export interface ChunkPlan {
  writes: BatchItem<"sqlite">[];
  imported: number;
  skipped: number;
  errors: RowError[];
}

/**
 * Fails the batch it is in (a UNIQUE violation on the chunk's own row) when the chunk is done
 * already: a redelivered chunk whose first delivery committed writes nothing twice.
 */
const failIfDone = (db: Db, jobId: number, chunk: number) =>
  db.insert(jobChunks).select((qb) =>
    qb
      .select({
        jobId: jobChunks.jobId,
        chunk: jobChunks.chunk,
        done: jobChunks.done,
        imported: jobChunks.imported,
        skipped: jobChunks.skipped,
        failed: jobChunks.failed,
        errors: jobChunks.errors,
      })
      .from(jobChunks)
      .where(and(eq(jobChunks.jobId, jobId), eq(jobChunks.chunk, chunk), eq(jobChunks.done, true))),
  );

export const isChunkDone = async (db: Db, jobId: number, chunk: number) =>
  Boolean(
    await db
      .select({ done: jobChunks.done })
      .from(jobChunks)
      .where(and(eq(jobChunks.jobId, jobId), eq(jobChunks.chunk, chunk), eq(jobChunks.done, true)))
      .get(),
  );

/**
 * Commits a chunk: its records' writes and its result in one batch (one transaction), so a chunk
 * is imported once and counted once, whatever the queue redelivers; the job finishes with its
 * last chunk. True when this finished the job.
 */
export const commitChunk = async (db: Db, jobId: number, chunk: number, writes: BatchItem<"sqlite">[], result: ChunkResult) => {
  const finish = db
    .update(jobs)
    .set({ state: "FINISHED", endedAt: sql`(cast(unixepoch('subsec') * 1000 as integer))` })
    .where(
      and(
        eq(jobs.id, jobId),
        eq(jobs.state, "RUNNING"),
        notExists(
          db
            .select({ one: sql`1` })
            .from(jobChunks)
            .where(and(eq(jobChunks.jobId, jobId), eq(jobChunks.done, false))),
        ),
      ),
    )
    .returning({ id: jobs.id });
  const results = await db.batch([
    failIfDone(db, jobId, chunk),
    ...writes,
    db
      .update(jobChunks)
      .set({ done: true, imported: result.imported, skipped: result.skipped, failed: result.failed, errors: result.errors })
      .where(and(eq(jobChunks.jobId, jobId), eq(jobChunks.chunk, chunk))),
    finish,
  ]);
  return (results.at(-1) as unknown[]).length > 0;
};

/** Ends a job that cannot go on (a file that is not a JSON array, or a chunk out of retries). */
export const failJob = (db: Db, jobId: number, failure: string) =>
  db
    .update(jobs)
    .set({ state: "FAILED", failure, endedAt: sql`(cast(unixepoch('subsec') * 1000 as integer))` })
    .where(and(eq(jobs.id, jobId), inArray(jobs.state, RUNNING_STATES)));
