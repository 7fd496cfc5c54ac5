import { notificationText } from "../../chat/notifications";
import type { MessageRow } from "../../chat/queries/messages";
import { cursorSlice, type CursorQuery } from "../../http/cursor";
import { link } from "../../http/hal";
import type { Links } from "../../http/links";
import { type ChannelView, toChannelResource } from "../channels/channels.present";
import { toMessageResource } from "../messages/messages.present";
import type { NotificationPage, NotificationResource } from "./notifications.schemas";

const SYSTEM_TYPES: ReadonlySet<string> = new Set(["SYSTEM_TEXT", "SYSTEM_FILE"]);

/** A message as a notification of the user: its channel and, when the user read that far, when they did. */
export interface NotifiedMessage {
  message: MessageRow;
  channel: ChannelView;
  readAt?: Date | undefined;
}

const senderDisplayName = (m: MessageRow) => (SYSTEM_TYPES.has(m.type) || !m.user ? undefined : (m.user.displayName ?? m.user.name));

const toNotificationResource = (
  applicationId: number,
  recipientId: number,
  { message, channel, readAt }: NotifiedMessage,
  links: Links,
): NotificationResource => {
  const { _links: _, ...channelFields } = toChannelResource(applicationId, channel, links);
  return {
    id: message.id,
    ...notificationText({ body: message.body, senderDisplayName: senderDisplayName(message) }),
    channel: channelFields,
    createdTime: message.createdAt.toISOString(),
    data: {
      type: SYSTEM_TYPES.has(message.type) ? "SYSTEM:SENT:MESSAGE" : "USER:SENT:MESSAGE",
      channelId: message.channelId,
      message: toMessageResource(applicationId, message, links),
    },
    muted: false,
    ...(readAt ? { readTime: readAt.toISOString() } : {}),
    _links: { recipient: link(links.user(applicationId, recipientId)), application: link(links.application(applicationId)) },
  };
};

/** A cursor page of notifications from `size + 1` fetched, newest first (cursorSlice). */
export const toNotificationPage = (
  applicationId: number,
  recipientId: number,
  fetched: NotifiedMessage[],
  query: CursorQuery,
  collectionHref: string,
  links: Links,
): NotificationPage => {
  const { rows, links: pageLinks } = cursorSlice(fetched, query, collectionHref, (n) => n.message.id);
  return {
    _embedded: { notifications: rows.map((n) => toNotificationResource(applicationId, recipientId, n, links)) },
    _links: pageLinks,
    page: { size: rows.length },
  };
};
