import type { RowError } from "../../db/schema";
import { link } from "../../http/hal";
import type { Links } from "../../http/links";
import { type PageMetadata, pageLinks } from "../../http/pagination";
import type { JobRow } from "../../jobs/queries";
import type { JobPage, JobResource } from "./imports.schemas";

export const toJobResource = (job: JobRow, links: Links, errors?: RowError[]): JobResource => ({
  id: job.id,
  type: job.type,
  state: job.state,
  createdTime: job.createdAt.toISOString(),
  ...(job.endedAt ? { endedTime: job.endedAt.toISOString() } : {}),
  file: job.fileName,
  ...(job.totalRows !== null ? { totalRecords: job.totalRows } : {}),
  importedRecords: job.imported,
  skippedRecords: job.skipped,
  failedRecords: job.failed,
  ...(job.failure !== null ? { failure: job.failure } : {}),
  ...(errors ? { errors } : {}),
  _links: { self: link(links.job(job.id)), application: link(links.application(job.applicationId)) },
});

export const toJobPage = (rows: JobRow[], meta: PageMetadata, requestUrl: string, links: Links): JobPage => ({
  _embedded: { jobs: rows.map((job) => toJobResource(job, links)) },
  _links: pageLinks(links.currentJobs(), requestUrl, meta),
  page: meta,
});
