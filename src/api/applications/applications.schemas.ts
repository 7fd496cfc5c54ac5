import { z } from "@hono/zod-openapi";
import { halLinks } from "../../http/hal";

export const ApplicationResource = z
  .object({
    id: z.number().int().openapi({ example: 1 }),
    name: z.string().openapi({ example: "ChatKitty Application" }),
    key: z.string().openapi({ description: "Client-side API key", example: "107a326f-bfab-4d2c-9a5a-fa79bd896929" }),
    requireAuthenticatedSessions: z
      .boolean()
      .openapi({ description: "Chat sessions must present a user challenge token; no guest sessions" }),
    _links: halLinks(["self", "users", "channels", "messages", "find:users", "find:channels"]),
  })
  .openapi("ApplicationResource");
export type ApplicationResource = z.infer<typeof ApplicationResource>;
