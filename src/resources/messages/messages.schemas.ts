import { z } from "@hono/zod-openapi";
import { LIMITS } from "../../config";
import { MESSAGE_TYPES } from "../../db/schema";
import { cursorPage } from "../../http/cursor";
import { jsonObject, nonEmptyString } from "../../http/fields";
import { halLinks } from "../../http/hal";
import { ApplicationParams, idParam } from "../../http/params";

export const MessageResource = z
  .object({
    id: z.number().int().optional().openapi({ description: "Present if the message is persistent", example: 1 }),
    type: z.enum(MESSAGE_TYPES),
    body: z.string().optional().openapi({ example: "Hello world!" }),
    createdTime: z.string().openapi({ format: "date-time" }),
    _links: halLinks(["channel", "application"], ["self", "user"]),
  })
  .openapi("MessageResource");
export type MessageResource = z.infer<typeof MessageResource>;

export const MessagePage = cursorPage("messages", MessageResource).openapi("MessagePage");
export type MessagePage = z.infer<typeof MessagePage>;

export const CreateMessageBody = jsonObject({
  body: nonEmptyString("body", LIMITS.messageBodyLength).openapi({ example: "Hello world!" }),
}).openapi("CreateMessageBody");

export const MessageParams = ApplicationParams.extend({ messageId: idParam("messageId") });
