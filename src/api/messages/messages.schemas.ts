import { z } from "@hono/zod-openapi";
import { LIMITS } from "../../config";
import { type JsonValue, MESSAGE_TYPES } from "../../db/schema";
import { CurrentCursorQuery, CursorQuery, cursorPage } from "../../http/cursor";
import { jsonObject, jsonProperties, nonBlankString, nonEmptyString, uploadedFile } from "../../http/fields";
import { halLinks } from "../../http/hal";
import { ApplicationParams, idParam } from "../../http/params";
import { CurrentPageQuery, numberedPage } from "../../http/pagination";
import { externalFileFields } from "../../http/urls";
import { UserReferenceItem } from "../channels/channels.schemas";
import { EmbeddedUser } from "../users/users.schemas";

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

const Emoji = z
  .object({
    character: z.string().openapi({ example: "👍" }),
    description: z.string().openapi({ example: "thumbs up" }),
    aliases: z.array(z.string()).openapi({ example: ["+1", "thumbsup"] }),
    tags: z.array(z.string()),
  })
  .openapi("EmojiProperties");

const MessageReactionsSummary = z
  .object({
    emoji: Emoji,
    users: z.array(EmbeddedUser).openapi({ description: "Users who reacted with it (the first ten)" }),
    count: z.number().int().openapi({ description: "How many users reacted with it", example: 1 }),
  })
  .openapi("MessageReactionsSummaryProperties");

/**
 * A message as both forms show it: ChatKitty's `MessageResource` (`channelId`, `nestedLevel`,
 * `properties`, the sender as `user`) with the 2020 form's fields and links. An OPEN channel's
 * message is not persisted: it has no id and no self link (and, as OPEN channels themselves,
 * falls outside ChatKitty's document).
 */
export const MessageResource = z
  .object({
    id: z.number().int().optional().openapi({ description: "Present if the message is persistent", example: 1 }),
    type: z.enum(MESSAGE_TYPES),
    channelId: z.number().int().openapi({ example: 1 }),
    body: z.string().optional().openapi({ description: "Text messages (TEXT, SYSTEM_TEXT)", example: "Hello world!" }),
    file: MessageFile.optional().openapi({ description: "File messages (FILE, SYSTEM_FILE)" }),
    user: EmbeddedUser.optional().openapi({ description: "The sender of a TEXT or FILE message" }),
    groupTag: z.string().optional().openapi({ description: "The label a back end gave the message" }),
    nestedLevel: z.number().int().openapi({ description: "0: a channel's message; 1: a reply to one", example: 0 }),
    reactions: z
      .array(MessageReactionsSummary)
      .optional()
      .openapi({ description: "One entry per emoji users reacted with (persisted messages)" }),
    repliesCount: z.number().int().optional().openapi({ description: "How many replies the message has (persisted messages)", example: 0 }),
    properties: jsonProperties.openapi({ description: "Custom data" }),
    createdTime: z.string().openapi({ format: "date-time" }),
    lastEditedTime: z.string().optional().openapi({ format: "date-time", description: "When the body or properties last changed" }),
    _links: halLinks(["channel", "application"], ["self", "user"]),
  })
  .openapi("MessageResource");
export type MessageResource = z.infer<typeof MessageResource>;

export const MessagePage = cursorPage("messages", MessageResource).openapi("MessagePage");
export type MessagePage = z.infer<typeof MessagePage>;

const groupTag = nonBlankString("groupTag", LIMITS.nameLength).openapi({
  description: "Optional label that groups messages (a gallery, say)",
  example: "invoices",
});

const sender = UserReferenceItem.optional().openapi({
  description: "Sends the message on this user's behalf (TEXT, FILE); without it the application sends it (SYSTEM_TEXT, SYSTEM_FILE)",
  example: { username: "jane" },
});

const messageProperties = jsonProperties.optional().openapi({ description: "Custom data; {} when left out" });

/** A file hosted elsewhere, linked by a system file message. */
const ExternalFile = z
  .object(externalFileFields("file."), {
    error: (issue) => (issue.input === undefined ? "file is required" : "file must be an object"),
  })
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
          user: sender,
          groupTag: groupTag.optional(),
          properties: messageProperties,
        })
        .openapi("CreateTextMessageBody"),
      z
        .object({ type: z.literal("FILE"), file: ExternalFile, user: sender, groupTag: groupTag.optional(), properties: messageProperties })
        .openapi("CreateExternalFileMessageBody"),
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
    file: uploadedFile("The file; its part's filename and Content-Type are kept"),
    groupTag: groupTag.optional(),
    username: z
      .string()
      .min(1, "username must not be empty")
      .max(LIMITS.nameLength, `username must be at most ${LIMITS.nameLength} characters`)
      .optional()
      .openapi({ description: "Sends the file on this user's behalf (FILE); without it the application sends it (SYSTEM_FILE)" }),
    properties: z
      .string()
      .transform((text, ctx) => {
        const value = parseJson(text);
        if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, JsonValue>;
        ctx.addIssue({ code: "custom", message: 'properties must be a JSON object, e.g. {"album":"summer"}' });
        return z.NEVER;
      })
      .optional()
      .openapi({ type: "string", description: "Custom data: a JSON object, as text" }),
  })
  .openapi("UploadMessageForm");
export type UploadMessageForm = z.infer<typeof UploadMessageForm>;

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

export const MessageParams = ApplicationParams.extend({ messageId: idParam("messageId") });
export const CurrentMessageParams = z.object({ messageId: idParam("messageId") });

/** Filters of message lists, kept in their page links. */
const messageFilters = {
  username: z
    .string()
    .min(1, "username must not be empty")
    .max(LIMITS.nameLength, `username must be at most ${LIMITS.nameLength} characters`)
    .optional()
    .openapi({ param: { name: "username", in: "query" }, description: "Only messages this user sent" }),
  query: z
    .string()
    .min(1, "query must not be empty")
    .max(LIMITS.nameLength, `query must be at most ${LIMITS.nameLength} characters`)
    .optional()
    .openapi({
      param: { name: "query", in: "query" },
      description: "Only text messages whose body contains this text (ASCII case ignored)",
    }),
};

export const MessageListQuery = CursorQuery.extend(messageFilters);
export const CurrentMessageListQuery = CurrentCursorQuery.extend(messageFilters);
export type MessageListQuery = z.infer<typeof MessageListQuery>;

/**
 * A JSON merge patch (RFC 7396) of a message (ChatKitty's `MessagePropertiesPatch`): `body` of a
 * text message, `properties` merged key by key (a key set to null is removed; `properties: null`
 * empties them). Any change sets `lastEditedTime`.
 */
export const MessageMergePatch = jsonObject({
  body: nonEmptyString("body", LIMITS.messageBodyLength).optional(),
  properties: jsonProperties.nullable().optional(),
}).openapi("MessagePropertiesPatch");
export type MessageMergePatch = z.infer<typeof MessageMergePatch>;

/** A channel's thread (ChatKitty's `ReplyThreadResource`): each channel has one, MAIN, holding its messages. */
export const ReplyThreadResource = z
  .object({
    id: z.number().int().openapi({ description: "A MAIN thread's id is its channel's", example: 1 }),
    type: z.enum(["MAIN", "STANDALONE", "MESSAGE"]),
    createdTime: z.string().openapi({ format: "date-time" }),
    properties: jsonProperties,
    _links: halLinks(["self", "channel", "application"]),
  })
  .openapi("ReplyThreadResource");
export type ReplyThreadResource = z.infer<typeof ReplyThreadResource>;

/** Who read a message (ChatKitty's `MessageReadReceiptResource`). */
const ReadReceiptResource = z
  .object({
    user: EmbeddedUser,
    createdTime: z
      .string()
      .openapi({ format: "date-time", description: "The earliest the user can have read it: read markers keep no time of their own" }),
    _links: halLinks(["user", "message", "application"]),
  })
  .openapi("MessageReadReceiptResource");

export const ReadReceiptPage = numberedPage("receipts", ReadReceiptResource).openapi("ReadReceiptPage");
export type ReadReceiptPage = z.infer<typeof ReadReceiptPage>;
export const ReadReceiptQuery = CurrentPageQuery;

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
