/**
 * Imports and jobs, current form only (`/v1/imports/…`, `/v1/jobs`): an upload answers 202 with
 * a PENDING job at once; the JOBS queue runs it (src/jobs/). Users and channel members so far.
 */
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { hal, halContent } from "../../http/hal";
import { errorResponses } from "../../http/responses";
import { createRouter } from "../../http/router";
import { channelTakingMembers } from "../channels/channels.operations";
import { CurrentChannelParams } from "../channels/channels.schemas";
import { multipartOnly } from "../messages/messages.create";
import { loadJob, listJobs, startImport } from "./imports.operations";
import { ImportForm, JobListQuery, JobPage, JobParams, JobResource } from "./imports.schemas";
import { toJobPage, toJobResource } from "./jobs.present";

const { 400: badRequest, 401: unauthorized, 404: notFound, 413: tooLarge, 415: unsupported } = errorResponses;

/**
 * Requests whose body may be as large as a file: an import upload (the app's body limit lets it
 * through up to MAX_FILE_BYTES). @example isImportUpload("POST", "/v1/imports/users")
 */
export const isImportUpload = (method: string, path: string) => method === "POST" && IMPORT_PATH.test(path);

const IMPORT_PATH = /^\/v1\/imports\/(users|channels\/[^/]+\/members)$/;

const importUsersRoute = createRoute({
  method: "post",
  path: "/imports/users",
  summary: "Import users from a JSON array file of ChatUserImport records; answers at once with the PENDING job",
  description:
    "Each record: name (required), displayName, guest (or isGuest), properties, displayPicture {url}. A record whose name " +
    "the application already has is skipped (running an import again is safe); a record that breaks a rule is reported " +
    "in the job's errors. A multipart body without a boundary parameter (as chatkitty-platform-sdk 2.4.0 sends it) is read by its first line.",
  middleware: [multipartOnly] as const,
  request: { body: { required: true, content: { "multipart/form-data": { schema: ImportForm } } } },
  responses: {
    202: halContent(JobResource, "The job, PENDING"),
    400: { ...badRequest, description: "No file part, or a file that is not a JSON array" },
    401: unauthorized,
    413: tooLarge,
    415: { ...unsupported, description: "Request body is not multipart/form-data" },
  },
});

const importMembersRoute = createRoute({
  method: "post",
  path: "/imports/channels/{channelId}/members",
  summary: "Add members to a PUBLIC or PRIVATE channel from a JSON array file of {username} records; answers at once with the PENDING job",
  description:
    "A record naming a user who is already a member is skipped (running an import again is safe); a record naming no " +
    "user of the application, or not a JSON object with a username, is reported in the job's errors.",
  middleware: [multipartOnly] as const,
  request: { params: CurrentChannelParams, body: { required: true, content: { "multipart/form-data": { schema: ImportForm } } } },
  responses: {
    202: halContent(JobResource, "The job, PENDING"),
    400: { ...badRequest, description: "No file part, a file that is not a JSON array, or a DIRECT channel (its members are fixed)" },
    401: unauthorized,
    404: notFound,
    413: tooLarge,
    415: { ...unsupported, description: "Request body is not multipart/form-data" },
  },
});

const listJobsRoute = createRoute({
  method: "get",
  path: "/jobs",
  summary: "A page of the application's jobs (ascending id unless sorted)",
  request: { query: JobListQuery },
  responses: { 200: halContent(JobPage, "A page of jobs"), 400: badRequest, 401: unauthorized },
});

const getJobRoute = createRoute({
  method: "get",
  path: "/jobs/{jobId}",
  summary: "A job: its state, its counts, and the first records that failed and why",
  request: { params: JobParams },
  responses: { 200: halContent(JobResource, "The job"), 401: unauthorized, 404: notFound },
});

const accepted = (c: Context<AppEnv>, body: JobResource) =>
  c.json(body, 202, { "Content-Type": "application/hal+json", Location: body._links.self.href });

export const importRoutes = createRouter()
  .openapi(importUsersRoute, async (c) => {
    const job = await startImport(c, c.var.auth.applicationId, { type: "USER_IMPORT", file: c.req.valid("form").file });
    return accepted(c, toJobResource(job, c.var.links));
  })
  .openapi(importMembersRoute, async (c) => {
    const appId = c.var.auth.applicationId;
    const { channelId } = c.req.valid("param");
    await channelTakingMembers(c, appId, channelId);
    const job = await startImport(c, appId, { type: "CHANNEL_MEMBERS_IMPORT", file: c.req.valid("form").file, channelId });
    return accepted(c, toJobResource(job, c.var.links));
  })
  .openapi(listJobsRoute, async (c) => {
    const { rows, meta } = await listJobs(c, c.var.auth.applicationId, c.req.valid("query"));
    return hal(c, toJobPage(rows, meta, c.req.url, c.var.links));
  })
  .openapi(getJobRoute, async (c) => {
    const { job, errors } = await loadJob(c, c.var.auth.applicationId, c.req.valid("param").jobId);
    return hal(c, toJobResource(job, c.var.links, errors));
  });
