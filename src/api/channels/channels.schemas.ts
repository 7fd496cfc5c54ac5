import { z } from "@hono/zod-openapi";
import { CHANNEL_SORT_PROPERTIES } from "../../chat/queries/channels";
import { USER_SORT_PROPERTIES } from "../../chat/queries/users";
import { LISTED_IN_CURRENT_FORM, MAX_DIRECT_MEMBERS, MAX_INITIAL_MEMBERS } from "../../chat/rules";
import { LIMITS } from "../../config";
import { CHANNEL_TYPES } from "../../db/schema";
import { jsonObject, jsonProperties, nonBlankString, propertiesFilter } from "../../http/fields";
import { halLinks } from "../../http/hal";
import { ApplicationParams, idParam } from "../../http/params";
import { CurrentPageQuery, numberedPage, PageQuery } from "../../http/pagination";
import { sortParam } from "../../http/sorting";
import { EmbeddedUser } from "../users/users.schemas";

const ChannelType = z.enum(CHANNEL_TYPES).openapi("ChannelType");

/**
 * A channel as both forms show it: ChatKitty's `ChannelResource` (PUBLIC and PRIVATE with `name`
 * and `displayName`, DIRECT with `members`) with the 2020 form's fields and links; June-2020
 * clients ignore the fields their contract does not name.
 */
export const ChannelResource = z
  .object({
    id: z.number().int().openapi({ example: 1 }),
    type: ChannelType,
    name: z.string().optional().openapi({ description: "Absent when the channel has none", example: "general" }),
    displayName: z
      .string()
      .optional()
      .openapi({ description: "Shown to users; defaults to the name (absent when neither is set)", example: "General" }),
    createdTime: z.string().openapi({ format: "date-time", example: "2021-09-28T01:35:40.967Z" }),
    properties: jsonProperties.openapi({ description: "Custom data" }),
    creator: EmbeddedUser.optional().openapi({ description: "The user named as creator when the channel was made" }),
    members: z.array(EmbeddedUser).optional().openapi({ description: "DIRECT only: the channel's members" }),
    _links: halLinks(["self", "messages", "application"], ["members"]),
  })
  .openapi("ChannelResource");
export type ChannelResource = z.infer<typeof ChannelResource>;

export const ChannelPage = numberedPage("channels", ChannelResource).openapi("ChannelPage");
export type ChannelPage = z.infer<typeof ChannelPage>;

/** When a user joined a channel (ChatKitty's `ChannelMembershipResource`). */
export const MembershipResource = z
  .object({
    createdTime: z.string().openapi({ format: "date-time", description: "When the user joined" }),
    _links: halLinks(["user", "channel", "member", "application"]),
  })
  .openapi("ChannelMembershipResource");
export type MembershipResource = z.infer<typeof MembershipResource>;

export const MembershipPage = numberedPage("memberships", MembershipResource).openapi("ChannelMembershipPage");
export type MembershipPage = z.infer<typeof MembershipPage>;

/** A user named in a request body: by id, by name, or by `self` href (the 2020 form's way, also as a bare string). */
export type UserReference = { id: number } | { username: string } | { href: string } | string;

const referenceRule = 'a user is {"id": …}, {"username": …}, {"href": …} or a user\'s self href';
const referenceById = z.object({ id: z.number().int().positive() });
const referenceByName = z.object({ username: z.string().min(1).max(LIMITS.nameLength) });
const referenceByHref = z.object({ href: z.string() });

/** A user reference in a list or a field: also a bare href string (the 2020 form's members). */
export const UserReferenceItem = z
  .union([z.string(), referenceById, referenceByName, referenceByHref], { error: referenceRule })
  .openapi({ description: referenceRule, example: { username: "jane" } }) as z.ZodType<UserReference>;

const typeOf = <const T extends readonly [string, ...string[]]>(types: T) =>
  z
    .enum(types, {
      error: (issue) => (issue.input === undefined ? "type is required" : `type must be one of ${types.join(", ")}`),
    })
    .openapi({ example: "PUBLIC" });

/** A create of one of these channel types: both forms take the same fields. */
const createChannelBody = <const T extends readonly [string, ...string[]]>(types: T) =>
  jsonObject({
    type: typeOf(types),
    name: nonBlankString("name", LIMITS.nameLength).optional().openapi({ example: "general" }),
    displayName: nonBlankString("displayName", LIMITS.nameLength)
      .optional()
      .openapi({ description: "Defaults to the name", example: "General" }),
    members: z
      .array(UserReferenceItem, { error: "members must be an array of user references" })
      .max(MAX_INITIAL_MEMBERS, `members may list at most ${MAX_INITIAL_MEMBERS} users`)
      .optional()
      .openapi({ description: `DIRECT: 2 to ${MAX_DIRECT_MEMBERS} users (required); others: initial members` }),
    creator: UserReferenceItem.optional().openapi({ description: "Shown as the channel's creator; becomes a member" }),
    properties: jsonProperties.optional().openapi({ description: "Custom data; {} when left out" }),
  });

export const CreateChannelBody = createChannelBody(CHANNEL_TYPES).openapi("CreateChannelBody");
export type CreateChannelBody = z.infer<typeof CreateChannelBody>;

const CURRENT_TYPES = LISTED_IN_CURRENT_FORM as readonly ["PUBLIC", "PRIVATE", "DIRECT"];

/** The current form's create: no OPEN channels (ChatKitty's document has none); PUBLIC and PRIVATE get a name when none is given. */
export const CurrentCreateChannelBody = createChannelBody(CURRENT_TYPES).openapi("CurrentCreateChannelBody");

/** The user to add (as member or moderator); `missingField` is the field an empty body is told to give. */
const memberBody = (missingField: "href" | "id") =>
  jsonObject({
    id: z.number({ error: "id must be a user id" }).int("id must be a user id").positive("id must be a user id").optional(),
    username: z.string({ error: "username must be a string" }).min(1).max(LIMITS.nameLength).optional(),
    href: z.string({ error: (i) => (i.input === undefined ? "href is required" : "href must be a string") }).optional(),
  })
    .superRefine((body, ctx) => {
      const given = [body.id, body.username, body.href].filter((v) => v !== undefined).length;
      if (given !== 1) ctx.addIssue({ code: "custom", path: [missingField], message: `name exactly one user: ${referenceRule}` });
    })
    .transform((body) => body as UserReference);

export const AddMemberBody = memberBody("href").openapi("AddMemberBody");
export const CurrentAddMemberBody = memberBody("id").openapi("ChatUserReference");

const booleanParam = z.enum(["true", "false"], { error: "direct must be true or false" }).transform((v) => v === "true");

const MAX_MEMBER_NAMES = 10;

export const ChannelListQuery = PageQuery.extend({
  direct: booleanParam.optional().openapi({ param: { name: "direct", in: "query" }, description: "true: only DIRECT channels" }),
  members: z
    .string()
    .max(MAX_MEMBER_NAMES * (LIMITS.nameLength + 1), "members lists too many names")
    .transform((v) => [...new Set(v.split(",").filter((n) => n !== ""))])
    .refine((names) => names.length <= MAX_MEMBER_NAMES, `members may name at most ${MAX_MEMBER_NAMES} users`)
    .optional()
    .openapi({ param: { name: "members", in: "query" }, description: "Comma-separated user names that must all be members" }),
});

const dateTime = (field: string) =>
  z.iso
    .datetime({ offset: true, error: `${field} must be an ISO-8601 date-time with a zone, e.g. 2020-01-01T00:00:00Z` })
    .transform((v) => new Date(v))
    .optional()
    .openapi({ param: { name: field, in: "query" }, example: "2020-01-01T00:00:00Z" });

export const CurrentChannelListQuery = CurrentPageQuery.extend({
  type: typeOf(CURRENT_TYPES)
    .optional()
    .openapi({ param: { name: "type", in: "query" }, description: "Only channels of this type" }),
  members: z
    .union([z.string(), z.array(z.string()).max(MAX_MEMBER_NAMES, `members may name at most ${MAX_MEMBER_NAMES} users`)])
    .transform((v) => [...new Set((typeof v === "string" ? [v] : v).flatMap((n) => n.split(",")).filter((n) => n !== ""))])
    .refine((names) => names.length <= MAX_MEMBER_NAMES, `members may name at most ${MAX_MEMBER_NAMES} users`)
    .refine(
      (names) => names.every((n) => n.length <= LIMITS.nameLength),
      `members are user names of at most ${LIMITS.nameLength} characters`,
    )
    .optional()
    .openapi({
      param: { name: "members", in: "query", style: "form", explode: true },
      description:
        "User names that must all be members, repeated (members=a&members=b) or comma-separated; with type=DIRECT, the direct channel of exactly those users",
    }),
  startTime: dateTime("startTime"),
  endTime: dateTime("endTime"),
  properties: propertiesFilter("channels"),
  sort: sortParam(CHANNEL_SORT_PROPERTIES),
});

/**
 * A JSON merge patch (RFC 7396) of a channel: a member left out stays, `null` removes it
 * (`displayName` returns to the name, `properties` to {}), and `properties` merges key by key.
 * `id`, `type` and `name` may be repeated, never changed.
 */
export const ChannelMergePatch = jsonObject({
  id: z.number({ error: "id must be a number" }).optional(),
  type: z.string({ error: "type must be a string" }).optional(),
  name: z.string({ error: "name must be a string" }).optional(),
  displayName: nonBlankString("displayName", LIMITS.nameLength).nullable().optional(),
  properties: jsonProperties.nullable().optional(),
}).openapi("ChannelPropertiesPatch");
export type ChannelMergePatch = z.infer<typeof ChannelMergePatch>;

export const MemberListQuery = CurrentPageQuery.extend({ sort: sortParam(USER_SORT_PROPERTIES) });
export const MembershipListQuery = CurrentPageQuery.extend({ sort: sortParam(["createdTime"]) });

export const MemberParams = ApplicationParams.extend({ channelId: idParam("channelId"), userId: idParam("userId") });

export const ChannelParams = ApplicationParams.extend({ channelId: idParam("channelId") });

export const CurrentChannelParams = z.object({ channelId: idParam("channelId") });
export const CurrentMemberParams = CurrentChannelParams.extend({ userId: idParam("userId") });
