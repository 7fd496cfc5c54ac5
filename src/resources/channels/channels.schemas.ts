import { z } from "@hono/zod-openapi";
import { LIMITS } from "../../config";
import { CHANNEL_TYPES } from "../../db/schema";
import { jsonObject, nonBlankString } from "../../http/fields";
import { halLinks } from "../../http/hal";
import { ApplicationParams, idParam } from "../../http/params";
import { numberedPage } from "../../http/pagination";

export const ChannelType = z.enum(CHANNEL_TYPES).openapi("ChannelType");

export const ChannelResource = z
  .object({
    id: z.number().int().openapi({ example: 1 }),
    type: ChannelType,
    name: z.string().openapi({ example: "Open Chat" }),
    _links: halLinks(["self", "messages", "application"]),
  })
  .openapi("ChannelResource");
export type ChannelResource = z.infer<typeof ChannelResource>;

export const ChannelPage = numberedPage("channels", ChannelResource).openapi("ChannelPage");
export type ChannelPage = z.infer<typeof ChannelPage>;

export const CreateChannelBody = jsonObject({
  type: z
    .enum(CHANNEL_TYPES, {
      error: (issue) =>
        issue.input === undefined ? "type is required" : `type must be one of ${CHANNEL_TYPES.join(", ")}`,
    })
    .openapi({ example: "PUBLIC" }),
  name: nonBlankString("name", LIMITS.nameLength).openapi({ example: "General" }),
}).openapi("CreateChannelBody");

export const ChannelParams = ApplicationParams.extend({ channelId: idParam("channelId") });
