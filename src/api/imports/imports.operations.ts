/**
 * Starting an import: the upload is checked to be a JSON array (a file that is not is refused
 * up front), kept in R2, and handed to the JOBS queue as a PENDING job; src/jobs/ does the rest.
 */
import type { Context } from "hono";
import type { JobType } from "../../db/schema";
import type { AppEnv } from "../../env";
import { ApiError } from "../../http/errors";
import { jobPrefix, uploadKey } from "../../jobs/files";
import { sendJobMessages } from "../../jobs/messages";
import { failJob, findJob, insertJob, type JobRow, jobErrors, listJobsPage } from "../../jobs/queries";
import { type PageQuery, pageMetadata, pageOffset } from "../../http/pagination";

/** Row errors GET /v1/jobs/{id} shows: the first ones are what a caller needs to fix a file. */
const SHOWN_ERRORS = 100;

const notAnArray = () =>
  new ApiError("InvalidRequestError", "file must be a JSON array of records", { file: "file must be a JSON array of records" });

const requireJsonArray = (text: string) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw notAnArray();
  }
  if (!Array.isArray(parsed)) throw notAnArray();
};

export const startImport = async (
  c: Context<AppEnv>,
  appId: number,
  { type, file, channelId }: { type: JobType; file: File; channelId?: number },
): Promise<JobRow> => {
  const text = await file.text();
  requireJsonArray(text);
  const fileKey = uploadKey(jobPrefix(appId, crypto.randomUUID()));
  await c.env.FILES.put(fileKey, text, { httpMetadata: { contentType: "application/json" } });
  const job = await insertJob(c.var.db, appId, { type, fileName: file.name, fileKey, channelId });
  try {
    await sendJobMessages(c.env.JOBS, [{ kind: "split", applicationId: appId, jobId: job.id }]);
  } catch (e) {
    // A job nobody will run must not stay PENDING for callers to poll forever.
    await failJob(c.var.db, job.id, "The job could not be queued");
    throw e;
  }
  return job;
};

export const loadJob = async (c: Context<AppEnv>, appId: number, jobId: number) => {
  const job = await findJob(c.var.db, appId, jobId);
  if (!job) throw new ApiError("ResourceNotFoundError", `Job ${jobId} not found`);
  return { job, errors: await jobErrors(c.var.db, jobId, SHOWN_ERRORS) };
};

export const listJobs = async (c: Context<AppEnv>, appId: number, query: PageQuery & Parameters<typeof listJobsPage>[4]) => {
  const { rows, total } = await listJobsPage(c.var.db, appId, pageOffset(query), query.size, query);
  return { rows, meta: pageMetadata(query, total) };
};
