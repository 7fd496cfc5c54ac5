import { z } from "@hono/zod-openapi";
import { MAX_DIRECT_MEMBERS, MAX_INITIAL_MEMBERS } from "../../chat/rules";
import { LIMITS } from "../../config";
import { CHANNEL_TYPES } from "../../db/schema";
import { jsonObject, nonBlankString } from "../../http/fields";
import { halLinks } from "../../http/hal";
import { ApplicationParams, idParam } from "../../http/params";
import { numberedPage, PageQuery } from "../../http/pagination";

const ChannelType = z.enum(CHANNEL_TYPES).openapi("ChannelType");

export const ChannelResource = z
  .object({
    id: z.number().int().openapi({ example: 1 }),
    type: ChannelType,
    name: z.string().optional().openapi({ description: "Absent when the channel has none", example: "Open Chat" }),
    _links: halLinks(["self", "messages", "application"], ["members"]),
  })
  .openapi("ChannelResource");
export type ChannelResource = z.infer<typeof ChannelResource>;

export const ChannelPage = numberedPage("channels", ChannelResource).openapi("ChannelPage");
export type ChannelPage = z.infer<typeof ChannelPage>;

/** A user named by its `self` href, as a string or a HAL link object. */
const UserReference = z
  .union([z.string(), z.object({ href: z.string({ error: "href must be a string" }) })], {
    error: 'a member is a user\'s self href, or {"href": ...}',
  })
  .transform((ref) => (typeof ref === "string" ? ref : ref.href))
  .openapi({ example: "http://localhost:8787/v1/applications/1/users/1" });

export const CreateChannelBody = jsonObject({
  type: z
    .enum(CHANNEL_TYPES, {
      error: (issue) => (issue.input === undefined ? "type is required" : `type must be one of ${CHANNEL_TYPES.join(", ")}`),
    })
    .openapi({ example: "PUBLIC" }),
  name: nonBlankString("name", LIMITS.nameLength).optional().openapi({ example: "General" }),
  members: z
    .array(UserReference, { error: "members must be an array of user hrefs" })
    .max(MAX_INITIAL_MEMBERS, `members may list at most ${MAX_INITIAL_MEMBERS} users`)
    .optional()
    .openapi({ description: `DIRECT: 2 to ${MAX_DIRECT_MEMBERS} users (required); others: initial members` }),
}).openapi("CreateChannelBody");

export const AddMemberBody = jsonObject({
  href: z.string({ error: (i) => (i.input === undefined ? "href is required" : "href must be a string") }),
}).openapi("AddMemberBody");

const booleanParam = z.enum(["true", "false"], { error: "direct must be true or false" }).transform((v) => v === "true");

export const ChannelListQuery = PageQuery.extend({
  direct: booleanParam.optional().openapi({ param: { name: "direct", in: "query" }, description: "true: only DIRECT channels" }),
  members: z
    .string()
    .max(10 * (LIMITS.nameLength + 1), "members lists too many names")
    .transform((v) => [...new Set(v.split(",").filter((n) => n !== ""))])
    .refine((names) => names.length <= 10, "members may name at most 10 users")
    .optional()
    .openapi({ param: { name: "members", in: "query" }, description: "Comma-separated user names that must all be members" }),
});

export const MemberParams = ApplicationParams.extend({ channelId: idParam("channelId"), userId: idParam("userId") });

export const ChannelParams = ApplicationParams.extend({ channelId: idParam("channelId") });
