/**
 * Users entering and leaving a channel's chat (stompx-current.md §5.7): a current-dialect
 * connection's first subscription to a channel's self topic enters it, and its unsubscribe or the
 * socket closing leaves it. The channel's other chat sessions hear `channel.participant.active` /
 * `.inactive` on its participants topic; the user's own connections do not. Best effort.
 */
import { broadcastToChannel } from "../chat/live";
import { findUser } from "../chat/queries/users";
import { createDb, openSession } from "../db/client";
import { envelope, toUser } from "../realtime/current-presenters";
import { dialectOf } from "../realtime/dialect";
import { parseDestination } from "../realtime/destinations";
import type { Connection } from "./session-sockets";

/** The channel whose self topic `destination` is, for a current-dialect connection; else undefined. */
export const chatEnteredBy = (connection: Connection, destination: string): number | undefined => {
  if (dialectOf(connection.conn) !== "current") return undefined;
  const route = parseDestination(destination);
  return route?.kind === "topic" && route.scope === "channel" && route.sub === "" ? route.id : undefined;
};

export const announceParticipant = async (env: Env, connection: Connection, channelIds: number[], active: boolean) => {
  if (channelIds.length === 0) return;
  const user = await findUser(createDb(openSession(env.DB)), connection.applicationId, connection.userId);
  if (!user) return;
  const event = envelope(active ? "channel.participant.active" : "channel.participant.inactive", toUser(user, true));
  await Promise.all(
    channelIds.map((channelId) =>
      broadcastToChannel(env, connection.applicationId, channelId, {
        current: { topic: "participants", event },
        signal: true,
        exceptUserId: connection.userId,
      }),
    ),
  );
};
