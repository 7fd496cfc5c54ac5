/**
 * A user's notifications, derived from messages rather than stored: the messages of the channels
 * they are a member of, sent by someone else (or the system) since they joined, newest first.
 * Nothing is written per recipient when a message is sent; leaving a channel takes its
 * notifications away, and a deleted message's notification goes with it. A notification is
 * read once the user's read marker of its channel is at or past the message; the read time is the
 * one read receipts report (the time of the message the marker points at, never before the
 * message itself).
 */
import type { Context } from "hono";
import { channelsWithReadMarkers } from "../../chat/queries/messages";
import type { AppEnv } from "../../env";
import type { CursorQuery } from "../../http/cursor";
import { viewChannels } from "../channels/channels.operations";
import { filteredMessageRows } from "../messages/messages.operations";
import type { NotifiedMessage } from "./notifications.present";
import { loadUser } from "./users.operations";

/** The notifications of a cursor page (`size + 1`, newest first); 404 for no such user. */
export const notificationsOf = async (
  c: Context<AppEnv>,
  appId: number,
  userId: number,
  query: CursorQuery,
): Promise<NotifiedMessage[]> => {
  await loadUser(c, appId, userId);
  const rows = await filteredMessageRows(c, appId, query, { notifying: userId });
  const markers = await channelsWithReadMarkers(
    c.var.db,
    appId,
    userId,
    rows.map((m) => m.channelId),
  );
  const views = new Map(
    (
      await viewChannels(
        c,
        appId,
        markers.map((m) => m.channel),
      )
    ).map((v) => [v.channel.id, v]),
  );
  const markerOf = new Map(markers.map((m) => [m.channel.id, m]));
  // A row whose channel the user left since the page was read is dropped, not shown without one.
  return rows.flatMap((message) => {
    const channel = views.get(message.channelId);
    const marker = markerOf.get(message.channelId);
    if (!channel || !marker) return [];
    const read = marker.lastReadMessageId !== null && marker.lastReadMessageId >= message.id;
    const readAt = read ? (marker.readUpTo && marker.readUpTo > message.createdAt ? marker.readUpTo : message.createdAt) : undefined;
    return [{ message, channel, readAt }];
  });
};
