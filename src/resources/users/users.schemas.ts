import { z } from "@hono/zod-openapi";
import { LIMITS } from "../../config";
import { jsonObject, nonBlankString } from "../../http/fields";
import { halLinks } from "../../http/hal";
import { ApplicationParams, idParam } from "../../http/params";
import { numberedPage } from "../../http/pagination";

export const UserResource = z
  .object({
    id: z.number().int().openapi({ example: 1 }),
    name: z.string().openapi({ example: "jane" }),
    _links: halLinks(["self", "channels", "application"]),
  })
  .openapi("UserResource");
export type UserResource = z.infer<typeof UserResource>;

export const UserPage = numberedPage("users", UserResource).openapi("UserPage");
export type UserPage = z.infer<typeof UserPage>;

export const CreateUserBody = jsonObject({
  name: nonBlankString("name", LIMITS.nameLength).openapi({ description: "Unique within the application", example: "jane" }),
}).openapi("CreateUserBody");

export const UserParams = ApplicationParams.extend({ userId: idParam("userId") });
