/**
 * The bodies of current-dialect actions (stompx-current.md §16.3), parsed with the field rules of
 * the Platform API's request bodies. The SDK often sends a whole resource (a Channel to update, a
 * CurrentUser): only the fields an action reads are checked, the rest is ignored. A failure names
 * its field, with the error name the SDK's apps see (§15.14).
 */
import { z } from "@hono/zod-openapi";
import { ChatError, type ChatErrorName } from "../chat/errors";
import { MAX_EVENT_PROPERTIES_BYTES, MAX_EVENT_TYPE_LENGTH } from "../chat/live";
import { MAX_INITIAL_MEMBERS } from "../chat/rules";
import { LIMITS } from "../config";
import { nonBlankString, nonEmptyString } from "../http/fields";
import { externalFileFields } from "../http/urls";
import { fieldIssues } from "../http/validation";

const utf8 = new TextEncoder();
const properties = z.record(z.string(), z.unknown(), { error: "properties must be a JSON object" });
const groupTag = nonBlankString("groupTag", LIMITS.nameLength);

/** A user named by id or by name (`{id}` or `{username}`), as the SDK passes users. */
const userReference = z.union(
  [
    z.object({ id: z.number().int().min(1).refine(Number.isSafeInteger) }),
    z.object({ username: nonEmptyString("username", LIMITS.nameLength) }),
  ],
  { error: 'a user must be {"id": <user id>} or {"username": <name>}' },
);
export type UserReference = z.infer<typeof userReference>;

const keys = z
  .string({ error: (issue) => (issue.input === undefined ? "keys is required" : "keys must be a string") })
  .refine((s) => s.length <= LIMITS.messageBodyLength, `keys must be at most ${LIMITS.messageBodyLength} characters`);

const CURRENT_BODIES = {
  meCreateChannel: z
    .object({
      type: z.enum(["PUBLIC", "PRIVATE", "DIRECT"], { error: "type must be one of PUBLIC, PRIVATE, DIRECT" }),
      name: nonBlankString("name", LIMITS.nameLength).optional(),
      properties: properties.optional(),
      members: z
        .array(userReference, { error: "members must be an array of users" })
        .max(MAX_INITIAL_MEMBERS, `members may list at most ${MAX_INITIAL_MEMBERS} users`)
        .optional(),
    })
    .superRefine((body, ctx) => {
      if (body.type !== "DIRECT" && body.name === undefined) ctx.addIssue({ code: "custom", path: ["name"], message: "name is required" });
      if (body.type === "DIRECT" && !body.members?.length)
        ctx.addIssue({ code: "custom", path: ["members"], message: "a DIRECT channel needs members" });
    }),
  message: z.discriminatedUnion(
    "type",
    [
      z.object({
        type: z.literal("TEXT"),
        body: nonEmptyString("body", LIMITS.messageBodyLength),
        groupTag: groupTag.optional(),
        properties: properties.optional(),
      }),
      z.object({
        type: z.literal("FILE"),
        file: z.object(externalFileFields("file."), { error: "file must be an object" }),
        groupTag: groupTag.optional(),
        properties: properties.optional(),
      }),
    ],
    { error: "type must be TEXT (with body) or FILE (with file)" },
  ),
  displayPicture: z.object(externalFileFields(""), { error: "The body must be a file with url, name, contentType and size" }),
  keystrokes: z.object({ keys }),
  triggerEvent: z.object({
    type: nonBlankString("type", MAX_EVENT_TYPE_LENGTH),
    properties: properties
      .refine(
        (p) => utf8.encode(JSON.stringify(p)).byteLength <= MAX_EVENT_PROPERTIES_BYTES,
        `properties must be at most ${MAX_EVENT_PROPERTIES_BYTES} bytes as JSON`,
      )
      .optional(),
  }),
  createThread: z.object({ name: nonBlankString("name", LIMITS.nameLength), properties: properties.optional() }),
  messageEdit: z.object({ body: nonEmptyString("body", LIMITS.messageBodyLength) }),
  invite: z.object({ user: userReference }),
  addModerator: userReference,
  channelUpdate: z.object({
    displayName: nonBlankString("displayName", LIMITS.nameLength).optional(),
    properties: properties.optional(),
  }),
};

export type CurrentBodies = { [K in keyof typeof CURRENT_BODIES]: z.infer<(typeof CURRENT_BODIES)[K]> };

/** The error name for a failed field; InvalidRequestError for the rest. */
const FIELD_ERRORS: { [K in keyof typeof CURRENT_BODIES]?: Record<string, ChatErrorName> } = {
  meCreateChannel: { type: "InvalidChannelTypeError", name: "InvalidChannelNameError", members: "InvalidChannelMembersError" },
  message: { type: "InvalidMessageError", body: "InvalidMessageError", file: "InvalidFileError" },
  displayPicture: {
    url: "InvalidFileError",
    name: "InvalidFileError",
    contentType: "InvalidFileError",
    size: "InvalidFileError",
    "": "InvalidFileError",
  },
  triggerEvent: { type: "InvalidEventTypeError" },
  messageEdit: { body: "InvalidMessageError" },
  invite: { user: "InvalidUserError" },
  addModerator: { "": "InvalidUserError", id: "InvalidUserError", username: "InvalidUserError" },
  channelUpdate: { displayName: "InvalidChannelNameError" },
};

/** The action's body, parsed; a `ChatError` naming the first field that failed. */
export const parseCurrentBody = <K extends keyof typeof CURRENT_BODIES>(action: K, body: Record<string, unknown>): CurrentBodies[K] => {
  const parsed = CURRENT_BODIES[action].safeParse(body);
  if (parsed.success) return parsed.data as CurrentBodies[K];
  const [first] = fieldIssues(parsed.error);
  const field = first?.path.split(".")[0] ?? "";
  throw new ChatError(FIELD_ERRORS[action]?.[field] ?? "InvalidRequestError", first?.message ?? "The body is invalid");
};
