import { z } from "@hono/zod-openapi";
import { LIMITS } from "../../config";
import { jsonObject, nonBlankString } from "../../http/fields";
import { halLinks } from "../../http/hal";
import { ApplicationParams, idParam } from "../../http/params";
import { numberedPage, PageQuery } from "../../http/pagination";

export const UserResource = z
  .object({
    id: z.number().int().openapi({ example: 1 }),
    name: z.string().openapi({ example: "jane" }),
    displayName: z.string().openapi({ description: "Shown to other users; defaults to name", example: "Jane" }),
    isGuest: z.boolean().openapi({ description: "Created by a chat session rather than by the back end" }),
    _links: halLinks(["self", "channels", "tokens", "application"]),
  })
  .openapi("UserResource");
export type UserResource = z.infer<typeof UserResource>;

export const UserPage = numberedPage("users", UserResource).openapi("UserPage");
export type UserPage = z.infer<typeof UserPage>;

const displayName = nonBlankString("displayName", LIMITS.nameLength).openapi({ example: "Jane" });
const isGuest = z.boolean({ error: "isGuest must be a boolean" });

export const CreateUserBody = jsonObject({
  name: nonBlankString("name", LIMITS.nameLength).openapi({ description: "Unique within the application", example: "jane" }),
  displayName: displayName.optional(),
  isGuest: isGuest.optional(),
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
