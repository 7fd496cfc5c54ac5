/**
 * The bodies of chat-session actions, parsed with the same field schemas as the Platform API's
 * request bodies (`http/fields.ts`, `http/urls.ts`); a failure is reported with the error name
 * the SDK expects for the field that failed (e.g. `InvalidChannelNameError` for a channel's name).
 */
import { z } from "@hono/zod-openapi";
import { ChatError, type ChatErrorName } from "../chat/errors";
import { MAX_INITIAL_MEMBERS } from "../chat/rules";
import { LIMITS } from "../config";
import { CHANNEL_TYPES } from "../db/schema";
import { nonBlankString, nonEmptyString } from "../http/fields";
import { clearableSafeUrl } from "../http/urls";
import { fieldIssues } from "../http/validation";

const properties = z.record(z.string(), z.unknown(), { error: "properties must be a JSON object" });

const clearable = (field: string, max: number) =>
  z
    .string({ error: `${field} must be a string` })
    .refine((s) => s.length <= max, `${field} must be at most ${max} characters`)
    .nullable()
    .optional();

const ACTION_BODIES = {
  meUpdate: z.object({
    displayName: clearable("displayName", LIMITS.nameLength),
    // "" or null clears the picture; anything else must be a URL other users' apps may load.
    displayPictureUrl: clearableSafeUrl("displayPictureUrl"),
    properties: properties.optional(),
  }),
  meCreateChannel: z
    .object({
      type: z.enum(CHANNEL_TYPES, { error: `type must be one of ${CHANNEL_TYPES.join(", ")}` }),
      name: nonBlankString("name", LIMITS.nameLength).optional(),
      properties: properties.optional(),
      members: z
        .array(z.object({ id: z.number().int().min(1).refine(Number.isSafeInteger) }, { error: 'each member must be {"id": <user id>}' }), {
          error: "members must be an array of users",
        })
        .max(MAX_INITIAL_MEMBERS, `members may list at most ${MAX_INITIAL_MEMBERS} users`)
        .optional(),
    })
    .superRefine((body, ctx) => {
      if (body.type !== "DIRECT" && body.name === undefined) ctx.addIssue({ code: "custom", path: ["name"], message: "name is required" });
    }),
  channelMessage: z.object({
    type: z.literal("TEXT", { error: "type must be TEXT" }).optional(),
    body: nonEmptyString("body", LIMITS.messageBodyLength),
  }),
};

export type ActionBodies = { [K in keyof typeof ACTION_BODIES]: z.infer<(typeof ACTION_BODIES)[K]> };

/** The error name for a failed field of an action; InvalidRequestError for the rest. */
const FIELD_ERRORS: { [K in keyof typeof ACTION_BODIES]?: Record<string, ChatErrorName> } = {
  meCreateChannel: { type: "InvalidChannelTypeError", name: "InvalidChannelNameError" },
  channelMessage: { type: "InvalidMessageError", body: "InvalidMessageError" },
};

/** The action's body, parsed; a `ChatError` naming the first field that failed. */
export const parseActionBody = <K extends keyof typeof ACTION_BODIES>(action: K, body: Record<string, unknown>): ActionBodies[K] => {
  const parsed = ACTION_BODIES[action].safeParse(body);
  if (parsed.success) return parsed.data as ActionBodies[K];
  const [first] = fieldIssues(parsed.error);
  const field = first?.path.split(".")[0] ?? "";
  throw new ChatError(FIELD_ERRORS[action]?.[field] ?? "InvalidRequestError", first?.message ?? "The body is invalid");
};
