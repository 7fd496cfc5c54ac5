import { z } from "@hono/zod-openapi";
import { jsonObject } from "../../http/fields";
import { halLinks } from "../../http/hal";
import { numberedPage } from "../../http/pagination";
import { UserParams } from "../users/users.schemas";

export const TokenResource = z
  .object({
    token: z.string().openapi({
      description: "The challenge token a chat session presents as `authParams: {token}`",
      example: "Vb1pQ3x0h2n9yq8cQ3wYw0b8mG7r0oXq3d2m8k1s5tE",
    }),
    createdTime: z.string().openapi({ format: "date-time" }),
    _links: halLinks(["self", "user"]),
  })
  .openapi("UserTokenResource");
export type TokenResource = z.infer<typeof TokenResource>;

export const TokenPage = numberedPage("tokens", TokenResource).openapi("UserTokenPage");
export type TokenPage = z.infer<typeof TokenPage>;

/** Nothing to send: the server makes the token. An empty body, or `{}`, is the whole request. */
export const CreateTokenBody = jsonObject({}).openapi("CreateUserTokenBody");

/**
 * Tokens are base64url (what the server makes). Anything else cannot name one, so, like a
 * malformed id, it is answered as an unknown resource (404).
 */
export const TokenParams = UserParams.extend({
  token: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,128}$/)
    .openapi({ param: { name: "token", in: "path" }, example: "Vb1pQ3x0h2n9yq8cQ3wYw0b8mG7r0oXq3d2m8k1s5tE" }),
});
