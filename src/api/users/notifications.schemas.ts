import { z } from "@hono/zod-openapi";
import { cursorPage } from "../../http/cursor";
import { halLinks } from "../../http/hal";
import { ChannelResource } from "../channels/channels.schemas";
import { MessageResource } from "../messages/messages.schemas";

const NOTIFICATION_TYPES = ["USER:SENT:MESSAGE", "SYSTEM:SENT:MESSAGE"] as const;

/** ChatKitty's `NotificationResource` of a message: what the user was (or would have been) told about it. */
export const NotificationResource = z
  .object({
    id: z.number().int().openapi({ description: "The message's id", example: 1 }),
    title: z.string().openapi({ example: "New message from Jane" }),
    body: z.string().openapi({ description: 'The message\'s text, or "File attachment"', example: "Hello!" }),
    channel: ChannelResource.omit({ _links: true }).openapi({ description: "The channel the message was sent in" }),
    createdTime: z.string().openapi({ format: "date-time", description: "When the message was sent" }),
    data: z
      .object({
        type: z.enum(NOTIFICATION_TYPES),
        channelId: z.number().int(),
        message: MessageResource,
      })
      .openapi("NotificationData"),
    muted: z.boolean().openapi({ description: "Always false: notifications are not muted per channel" }),
    readTime: z.string().optional().openapi({
      format: "date-time",
      description: "Present once the user's read marker of the channel is at or past the message",
    }),
    _links: halLinks(["recipient", "application"]),
  })
  .openapi("NotificationResource");
export type NotificationResource = z.infer<typeof NotificationResource>;

export const NotificationPage = cursorPage("notifications", NotificationResource).openapi("NotificationPage");
export type NotificationPage = z.infer<typeof NotificationPage>;
