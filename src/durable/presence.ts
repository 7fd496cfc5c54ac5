/**
 * Presence changes (stompx-current.md §11.1): when a user's first connection opens or their last
 * one closes, their contacts hear `contact.presence.changed` on their contacts topic and the chat
 * sessions of their channels hear `participant.presence.changed`. Only the current dialect has
 * these events. Best effort, like every live delivery: presence is read again on the next fetch.
 */
import { contactIdsOf } from "../chat/contacts";
import { broadcastToChannel, deliverToUsers } from "../chat/live";
import { memberChannelIds } from "../chat/queries/members";
import { findUser, findUsersByIdOrName } from "../chat/queries/users";
import type { Db } from "../db/client";
import { envelope, toUser } from "../realtime/current-presenters";

/**
 * Contacts told and channels told per change: a user in thousands of channels is announced to
 * the first ones (their chat sessions still list members with live presence on fetch).
 */
const PRESENCE_FAN_OUT = 100;

export const announcePresence = async (env: Env, db: Db, applicationId: number, userId: number, online: boolean) => {
  const user = await findUser(db, applicationId, userId);
  if (!user) return;
  const resource = toUser(user, online);
  const [contactIds, channelIds] = await Promise.all([
    contactIdsOf(db, applicationId, userId, PRESENCE_FAN_OUT),
    memberChannelIds(db, applicationId, userId, PRESENCE_FAN_OUT),
  ]);
  const contacts = await findUsersByIdOrName(db, applicationId, contactIds, []);
  const participantEvent = envelope("participant.presence.changed", resource);
  await Promise.all([
    deliverToUsers(env, applicationId, contacts, { current: { topic: "contacts", event: envelope("contact.presence.changed", resource) } }),
    ...channelIds.map((channelId) =>
      broadcastToChannel(env, applicationId, channelId, { current: { topic: "participants", event: participantEvent }, signal: true }),
    ),
  ]);
};
