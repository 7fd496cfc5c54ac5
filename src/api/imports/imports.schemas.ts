import { z } from "@hono/zod-openapi";
import { JOB_STATES, JOB_TYPES } from "../../db/schema";
import { uploadedFile } from "../../http/fields";
import { halLinks } from "../../http/hal";
import { idParam } from "../../http/params";
import { CurrentPageQuery, numberedPage } from "../../http/pagination";
import { sortParam } from "../../http/sorting";
import { JOB_SORT_PROPERTIES } from "../../jobs/queries";

/** An import's upload: the `file` part, a JSON array of records (ChatKitty's import formats). */
export const ImportForm = z
  .object({
    file: uploadedFile("A JSON array file of the records to import"),
  })
  .openapi("ImportForm");

const RowError = z
  .object({
    row: z.number().int().openapi({ description: "Zero-based index of the record in the file" }),
    message: z.string().openapi({ example: "name must not be blank" }),
  })
  .openapi("JobRowError");

/**
 * ChatKitty's `ApplicationJobResource`, plus what it leaves out: how many records were imported,
 * skipped (already there) or failed, and why the failed ones did.
 */
export const JobResource = z
  .object({
    id: z.number().int().openapi({ example: 1 }),
    type: z.enum(JOB_TYPES),
    state: z.enum(JOB_STATES).openapi({ description: "PENDING → RUNNING → FINISHED, or FAILED when the file could not be read" }),
    createdTime: z.string().openapi({ format: "date-time" }),
    endedTime: z.string().optional().openapi({ format: "date-time", description: "Once FINISHED or FAILED" }),
    file: z.string().openapi({ description: "The uploaded file's name" }),
    totalRecords: z.number().int().optional().openapi({ description: "Records in the file, once the job has read it" }),
    importedRecords: z.number().int(),
    skippedRecords: z
      .number()
      .int()
      .openapi({
        description:
          "Records already there, left as they are: an idempotencyKey imported before (per kind of record), a user name the " +
          "application has, a member already in the channel, a DIRECT channel its members have. Records without a key that " +
          "nothing identifies (PUBLIC and PRIVATE channels, messages) are never skipped: importing them again makes new ones",
      }),
    failedRecords: z.number().int().openapi({ description: "Records not imported because they break a rule" }),
    failure: z.string().optional().openapi({ description: "FAILED only: why" }),
    errors: z.array(RowError).optional().openapi({ description: "GET /v1/jobs/{jobId} only: the first failed records and why" }),
    _links: halLinks(["self", "application"]),
  })
  .openapi("JobResource");
export type JobResource = z.infer<typeof JobResource>;

export const JobPage = numberedPage("jobs", JobResource).openapi("JobPage");
export type JobPage = z.infer<typeof JobPage>;

export const JobParams = z.object({ jobId: idParam("jobId") });

export const JobListQuery = CurrentPageQuery.extend({
  sort: sortParam(JOB_SORT_PROPERTIES),
  running: z
    .enum(["true", "false"], { error: "running must be true or false" })
    .transform((v) => v === "true")
    .optional()
    .openapi({ param: { name: "running", in: "query" }, description: "true: PENDING and RUNNING jobs; false: ended ones; absent: all" }),
});
