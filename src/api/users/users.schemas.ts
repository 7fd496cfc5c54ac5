import { z } from "@hono/zod-openapi";
import { LIMITS } from "../../config";
import { jsonObject, jsonProperties, nonBlankString, propertiesFilter } from "../../http/fields";
import { halLinks } from "../../http/hal";
import { ApplicationParams, idParam } from "../../http/params";
import { CurrentPageQuery, numberedPage, PageQuery } from "../../http/pagination";
import { sortParam } from "../../http/sorting";
import { USER_SORT_PROPERTIES } from "../../chat/queries/users";

/**
 * A user as both forms show it: ChatKitty's `ChatUserResource` (the current form's shape), whose
 * fields include the 2020 form's; June-2020 clients ignore the ones their contract does not name.
 */
export const UserResource = z
  .object({
    id: z.number().int().openapi({ example: 1 }),
    type: z.enum(["PERSON", "BOT"]).openapi({ description: "Users made through this API are people" }),
    name: z.string().openapi({ example: "jane" }),
    displayName: z.string().openapi({ description: "Shown to other users; defaults to name", example: "Jane" }),
    displayPictureUrl: z.string().openapi({ description: "The user's picture; a generated one (a data: URL) when none was set" }),
    isGuest: z.boolean().openapi({ description: "Created by a chat session rather than by the back end" }),
    presence: z
      .object({ status: z.string().openapi({ example: "UNAVAILABLE" }), online: z.boolean() })
      .openapi({ description: "As ChatKitty reports a user without a live session" }),
    properties: jsonProperties.openapi({ description: "Custom data" }),
    _links: halLinks(["self", "channels", "tokens", "application"]),
  })
  .openapi("UserResource");
export type UserResource = z.infer<typeof UserResource>;

/** A user inside another resource (ChatKitty's `ChatUserProperties`): the user without links. */
export const EmbeddedUser = UserResource.omit({ _links: true }).openapi("EmbeddedUser");

export const UserPage = numberedPage("users", UserResource).openapi("UserPage");
export type UserPage = z.infer<typeof UserPage>;

const displayName = nonBlankString("displayName", LIMITS.nameLength).openapi({ example: "Jane" });
const isGuest = z.boolean({ error: "isGuest must be a boolean" });

/** Both forms create users from this body (the 2020 one simply never sends `properties`). */
export const CreateUserBody = jsonObject({
  name: nonBlankString("name", LIMITS.nameLength).openapi({ description: "Unique within the application", example: "jane" }),
  displayName: displayName.optional(),
  isGuest: isGuest.optional(),
  properties: jsonProperties.optional().openapi({ description: "Custom data; {} when left out" }),
}).openapi("CreateUserBody");

/**
 * PUT replaces what can change (an omitted `displayName` returns to the name, an omitted
 * `isGuest` to false); PATCH changes only what it names. `id` and `name` may be repeated but not
 * changed.
 */
export const UpdateUserBody = jsonObject({
  id: z.number({ error: "id must be a number" }).optional(),
  name: z.string({ error: "name must be a string" }).optional(),
  displayName: displayName.optional(),
  isGuest: isGuest.optional(),
}).openapi("UpdateUserBody");

export const UserListQuery = PageQuery.extend({
  name: z
    .string()
    .max(LIMITS.nameLength, `name must be at most ${LIMITS.nameLength} characters`)
    .optional()
    .openapi({ param: { name: "name", in: "query" }, description: "Only the user with exactly this name" }),
});

export const UserParams = ApplicationParams.extend({ userId: idParam("userId") });

/**
 * A JSON merge patch (RFC 7396) of a user: a member left out stays, `null` removes it
 * (`displayName` returns to the name, `isGuest` to false, `properties` to {}), and `properties`
 * merges key by key (a key set to null is removed). `id` and `name` may be repeated, never changed.
 * `presence` is accepted for ChatKitty's clients and not kept: presence is the chat sessions'.
 */
export const UserMergePatch = jsonObject({
  id: z.number({ error: "id must be a number" }).optional(),
  name: z.string({ error: "name must be a string" }).optional(),
  displayName: displayName.nullable().optional(),
  isGuest: z.boolean({ error: "isGuest must be a boolean or null" }).nullable().optional(),
  presence: z
    .object(
      {
        status: z.string({ error: "presence.status must be a string" }).max(64, "presence.status must be at most 64 characters").optional(),
      },
      {
        error: "presence must be an object",
      },
    )
    .nullable()
    .optional(),
  properties: jsonProperties.nullable().optional(),
}).openapi("ChatUserPropertiesPatch");
export type UserMergePatch = z.infer<typeof UserMergePatch>;

export const CurrentUserListQuery = CurrentPageQuery.extend({
  name: UserListQuery.shape.name,
  properties: propertiesFilter("users"),
  sort: sortParam(USER_SORT_PROPERTIES),
});

export const CurrentUserParams = z.object({ userId: idParam("userId") });
