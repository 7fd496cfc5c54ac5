/**
 * Imports and jobs, current form only (`/v1/imports/…`, `/v1/jobs`): an upload answers 202 with
 * a PENDING job at once; the JOBS queue runs it (src/jobs/): users, channels, channel members and
 * messages. Every record may carry an `idempotencyKey`: a key already imported (for that kind of
 * record) skips the record.
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

const IMPORT_PATH = /^\/v1\/imports\/(users|channels|messages|channels\/[^/]+\/members)$/;

const importUsersRoute = createRoute({
  method: "post",
  path: "/imports/users",
  summary: "Import users from a JSON array file of ChatUserImport records; answers at once with the PENDING job",
  description:
    "Each record: name (required), displayName, guest (or isGuest), properties, displayPicture {url}, idempotencyKey. A record " +
    "whose name the application already has, or whose idempotencyKey was imported, is skipped (running an import again is " +
    "safe); a record that breaks a rule is reported " +
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
    "Each record: username (required), idempotencyKey. A record naming a user who is already a member, or whose " +
    "idempotencyKey was imported, is skipped (running an import again is safe); a record naming no " +
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

const importChannelsRoute = createRoute({
  method: "post",
  path: "/imports/channels",
  summary:
    "Import PUBLIC, PRIVATE and DIRECT channels from a JSON array file of ChannelImport records; answers at once with the PENDING job",
  description:
    "Each record: type (PUBLIC, PRIVATE or DIRECT), members (usernames, required), creator (a username; becomes a member), " +
    "properties, idempotencyKey; PUBLIC and PRIVATE also name (a UUID when left out) and displayName. The rules of " +
    "POST /v1/channels apply; each channel is created with its members in one transaction. Names need not be unique (as " +
    "with POST /v1/channels), so a record without an idempotencyKey creates its PUBLIC or PRIVATE channel again each time " +
    "its file is imported; a record whose idempotencyKey was imported, or a DIRECT channel whose members have one, is " +
    "skipped. A record naming a user the application does not have, or breaking a rule, is reported in the job's errors.",
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

const importMessagesRoute = createRoute({
  method: "post",
  path: "/imports/messages",
  summary: "Import messages as channel history from a JSON array file of MessageImport records; answers at once with the PENDING job",
  description:
    "Each record: type (TEXT with user, a username, or SYSTEM_TEXT), channelId, body, groupTag, properties, idempotencyKey; " +
    "the rules of sending a message apply (the channel must be the application's and not OPEN, a TEXT sender a member of a " +
    "PRIVATE or DIRECT channel). Messages are stored in file order as history: no live delivery, no notifications; a " +
    "sender's read marker moves to their newest imported message. A record whose idempotencyKey was imported is skipped; " +
    "a record without one is imported again each time its file is. A record breaking a rule is reported in the job's errors.",
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
  .openapi(importChannelsRoute, async (c) => {
    const job = await startImport(c, c.var.auth.applicationId, { type: "CHANNEL_IMPORT", file: c.req.valid("form").file });
    return accepted(c, toJobResource(job, c.var.links));
  })
  .openapi(importMessagesRoute, async (c) => {
    const job = await startImport(c, c.var.auth.applicationId, { type: "MESSAGE_IMPORT", file: c.req.valid("form").file });
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
