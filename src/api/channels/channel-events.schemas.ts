import { z } from "@hono/zod-openapi";
import { MAX_EVENT_PROPERTIES_BYTES, MAX_EVENT_TYPE_LENGTH } from "../../chat/live";
import { LIMITS } from "../../config";
import { jsonObject, jsonProperties, nonBlankString } from "../../http/fields";
import { halLinks } from "../../http/hal";
import { UserReferenceItem } from "./channels.schemas";

const utf8 = new TextEncoder();

/** A custom event for a channel's live sessions (ChatKitty's `CreateChannelGenericEventResource`). */
export const CreateChannelEventBody = jsonObject({
  type: nonBlankString("type", MAX_EVENT_TYPE_LENGTH).openapi({ description: "The event's custom type", example: "poke" }),
  properties: jsonProperties
    .refine(
      (p) => utf8.encode(JSON.stringify(p)).byteLength <= MAX_EVENT_PROPERTIES_BYTES,
      `properties must be at most ${MAX_EVENT_PROPERTIES_BYTES} bytes as JSON`,
    )
    .optional()
    .openapi({ description: `Custom data, at most ${MAX_EVENT_PROPERTIES_BYTES} bytes as JSON; {} when left out` }),
}).openapi("CreateChannelGenericEventResource");
export type CreateChannelEventBody = z.infer<typeof CreateChannelEventBody>;

/** The event as the channel's sessions got it (ChatKitty's `ChannelGenericEventResource`): sent by the back end, so no `user`. */
export const ChannelEventResource = z
  .object({
    type: z.string().openapi({ example: "poke" }),
    properties: jsonProperties.openapi({ description: "Custom data" }),
    _links: halLinks(["channel", "application"]),
  })
  .openapi("ChannelGenericEventResource");
export type ChannelEventResource = z.infer<typeof ChannelEventResource>;

/** What a user is typing, sent on their behalf (ChatKitty's `CreateDelegatedReplyThreadKeystrokesResource`). */
export const CreateKeystrokesBody = jsonObject({
  keys: z
    .string({ error: (issue) => (issue.input === undefined ? "keys is required" : "keys must be a string") })
    // Not `.max()`: zod counts code points there, the contract counts UTF-16 units.
    .refine((s) => s.length <= LIMITS.messageBodyLength, `keys must be at most ${LIMITS.messageBodyLength} characters`)
    .openapi({ maxLength: LIMITS.messageBodyLength, description: "The user's current input; empty when they cleared it", example: "Hel" }),
  user: UserReferenceItem.openapi({ description: "The typing user", example: { username: "jane" } }),
}).openapi("CreateDelegatedReplyThreadKeystrokesResource");
export type CreateKeystrokesBody = z.infer<typeof CreateKeystrokesBody>;

/** The keystrokes as the channel's sessions got them (ChatKitty's `ReplyThreadKeystrokesResource`). */
export const KeystrokesResource = z
  .object({
    keys: z.string().openapi({ example: "Hel" }),
    username: z.string().openapi({ example: "jane" }),
    _links: halLinks(["user", "thread", "channel", "application"]),
  })
  .openapi("ReplyThreadKeystrokesResource");
export type KeystrokesResource = z.infer<typeof KeystrokesResource>;
