import { z } from "@hono/zod-openapi";
import { withFormFilename } from "../../files/storage";
import { LIMITS } from "../../config";
import { MESSAGE_TYPES } from "../../db/schema";
import { cursorPage } from "../../http/cursor";
import { nonBlankString, nonEmptyString } from "../../http/fields";
import { halLinks } from "../../http/hal";
import { ApplicationParams, idParam } from "../../http/params";
import { safeUrl } from "../../http/urls";

/** A file message's file as clients see it (never the R2 key of a hosted file). */
export const MessageFile = z
  .object({
    type: z.enum(["HOSTED", "EXTERNAL"]).openapi({ description: "HOSTED: stored by this server; EXTERNAL: a link elsewhere" }),
    url: z.string().openapi({ example: "https://example.com/files/report.pdf" }),
    name: z.string().openapi({ example: "report.pdf" }),
    contentType: z.string().openapi({ example: "application/pdf" }),
    size: z.number().int().openapi({ description: "Bytes", example: 1024 }),
  })
  .openapi("MessageFile");
export type MessageFile = z.infer<typeof MessageFile>;

export const MessageResource = z
  .object({
    id: z.number().int().optional().openapi({ description: "Present if the message is persistent", example: 1 }),
    type: z.enum(MESSAGE_TYPES),
    body: z.string().optional().openapi({ description: "Text messages (TEXT, SYSTEM_TEXT)", example: "Hello world!" }),
    file: MessageFile.optional().openapi({ description: "File messages (FILE, SYSTEM_FILE)" }),
    groupTag: z.string().optional().openapi({ description: "The label a back end gave a system file message" }),
    createdTime: z.string().openapi({ format: "date-time" }),
    _links: halLinks(["channel", "application"], ["self", "user"]),
  })
  .openapi("MessageResource");
export type MessageResource = z.infer<typeof MessageResource>;

export const MessagePage = cursorPage("messages", MessageResource).openapi("MessagePage");
export type MessagePage = z.infer<typeof MessagePage>;

/** RFC 6838 type/subtype names, optionally followed by parameters (`text/plain; charset=utf-8`). */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\s*;\s*[^\s;=]+=[^;]*)*$/;

const groupTag = nonBlankString("groupTag", LIMITS.nameLength).openapi({
  description: "Optional label that groups system file messages",
  example: "invoices",
});

/** A file hosted elsewhere, linked by a system file message. */
const ExternalFile = z
  .object(
    {
      url: safeUrl("file.url").openapi({ example: "https://example.com/files/report.pdf" }),
      name: nonBlankString("file.name", LIMITS.nameLength).openapi({ example: "report.pdf" }),
      contentType: nonEmptyString("file.contentType", LIMITS.nameLength)
        .refine((s) => MEDIA_TYPE.test(s), "file.contentType must be a media type such as image/png")
        .openapi({ example: "application/pdf" }),
      size: z
        .number({ error: (issue) => (issue.input === undefined ? "file.size is required" : "file.size must be a number") })
        .int("file.size must be an integer")
        .min(0, "file.size must not be negative")
        .refine(Number.isSafeInteger, "file.size is too large")
        .openapi({ description: "Bytes", example: 1024 }),
    },
    { error: (issue) => (issue.input === undefined ? "file is required" : "file must be an object") },
  )
  .openapi("ExternalFile");

/**
 * The JSON body of a new system message: text (`{body}`, as the seed sends it, or
 * `{type: "TEXT", body}`) or a link to an external file (`{type: "FILE", file, groupTag?}`).
 * A discriminated union on `type` so each failure names its own field (`body`, `file.url`, ...).
 */
export const CreateMessageBody = z
  .discriminatedUnion(
    "type",
    [
      z
        .object({
          type: z.literal("TEXT").optional().openapi({ description: "Defaults to TEXT" }),
          body: nonEmptyString("body", LIMITS.messageBodyLength).openapi({ example: "Hello world!" }),
        })
        .openapi("CreateTextMessageBody"),
      z.object({ type: z.literal("FILE"), file: ExternalFile, groupTag: groupTag.optional() }).openapi("CreateExternalFileMessageBody"),
    ],
    {
      error: ({ input }) =>
        typeof input !== "object" || input === null || Array.isArray(input)
          ? "The request body must be a JSON object"
          : "type must be TEXT or FILE",
    },
  )
  .openapi("CreateMessageBody");
export type CreateMessageBody = z.infer<typeof CreateMessageBody>;

/**
 * The multipart body of a new system file message: the file itself (stored here) and an optional
 * group tag. The size limit is a deployment setting (MAX_FILE_BYTES), checked by the handler.
 */
export const UploadMessageForm = z
  .object({
    file: z
      .custom<File>((v) => v instanceof File, {
        error: (issue) => (issue.input === undefined ? "file is required" : "file must be a single file part (with a filename)"),
      })
      .transform(withFormFilename)
      .refine((f) => f.size > 0, "file must not be empty")
      .refine((f) => f.name.length <= LIMITS.nameLength, `file name must be at most ${LIMITS.nameLength} characters`)
      .openapi({ type: "string", format: "binary", description: "The file; its part's filename and Content-Type are kept" }),
    groupTag: groupTag.optional(),
  })
  .openapi("UploadMessageForm");
export type UploadMessageForm = z.infer<typeof UploadMessageForm>;

export const MessageParams = ApplicationParams.extend({ messageId: idParam("messageId") });

/** Request headers as the validator sees them: names lowercased (so the document's name is too). */
export const IdempotencyHeaders = z.object({
  "idempotency-key": z
    .string()
    .regex(/^[\x20-\x7E]{1,255}$/, "Idempotency-Key must be 1 to 255 printable ASCII characters")
    .optional()
    .openapi({
      description:
        "Makes retries safe. Keys are kept 24 hours, per application: a request with a known key sends nothing " +
        "and answers the message the first request sent (201, same id). The same key with a different request " +
        "(another channel, body or file) is refused: 409 DuplicateResourceError. 1 to 255 printable ASCII characters, e.g. a UUID.",
      example: "5f0c7b8e-2a41-4d8e-9a57-8d1c3e6f4b20",
    }),
});
