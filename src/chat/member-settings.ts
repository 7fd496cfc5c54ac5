/**
 * A member's own settings of a channel (spec §12.1, §12.4, §12.5): muting it, hiding it until the
 * next message, clearing their history of it. Each answers the channel as the member sees it; the
 * caller publishes the event.
 */
import type { Db } from "../db/client";
import { channelForMember } from "./channels";
import { ChatError } from "./errors";
import type { ChatScope } from "./messages";
import type { VisibleChannel } from "./queries/channels";
import { channelMembersToNotify } from "./queries/members";
import { clearMemberHistory, unhideMembersQuery, updateMemberFlags } from "./queries/member-settings";

const MUTE_STATES = { ON: true, OFF: false } as const;

const isMuteState = (state: unknown): state is keyof typeof MUTE_STATES => state === "ON" || state === "OFF";

// The membership was checked just before; a member who left in between is told so all the same.
const leftMeanwhile = (channel: VisibleChannel) =>
  new ChatError("NotAChannelMemberError", `Join channel ${channel.id} (${channel.name}) before acting in it`);

/** Mutes (`"ON"`) or unmutes (`"OFF"`) the channel for the member: their notifications of it say `muted`. */
export const setMuted = async (scope: ChatScope, userId: number, channelId: number, state: unknown): Promise<VisibleChannel> => {
  if (!isMuteState(state)) throw new ChatError("InvalidMuteStateError", 'state must be "ON" or "OFF"', { state: 'must be "ON" or "OFF"' });
  const channel = await channelForMember(scope, userId, channelId);
  if (!(await updateMemberFlags(scope.db, scope.applicationId, channelId, userId, { muted: MUTE_STATES[state] }))) {
    throw leftMeanwhile(channel);
  }
  return channel;
};

/** Hides the channel from the member's channel list until a new message arrives in it (`noticeNewMessage`). */
export const hideChannel = async (scope: ChatScope, userId: number, channelId: number): Promise<VisibleChannel> => {
  const channel = await channelForMember(scope, userId, channelId);
  if (!(await updateMemberFlags(scope.db, scope.applicationId, channelId, userId, { hidden: true }))) throw leftMeanwhile(channel);
  return channel;
};

/** Removes the channel's messages so far from the member's history and unread counts; later messages show as usual. */
export const clearHistory = async (scope: ChatScope, userId: number, channelId: number): Promise<VisibleChannel> => {
  const channel = await channelForMember(scope, userId, channelId);
  if (!(await clearMemberHistory(scope.db, scope.applicationId, channelId, userId))) throw leftMeanwhile(channel);
  return channel;
};

/**
 * What a new message in a channel changes for its members, in one round trip: the channel shows
 * again to the members who hid it (`unhidden`, who are to be sent `user.channel.unhidden`), and
 * the members to notify (`channelMembersToNotify`: not the sender, nobody who blocked them), at
 * most `limit`.
 */
export const noticeNewMessage = async (db: Db, applicationId: number, channelId: number, senderId: number | null, limit: number) => {
  const [unhidden, members] = await db.batch([
    unhideMembersQuery(db, applicationId, channelId),
    channelMembersToNotify(db, applicationId, channelId, senderId, limit),
  ]);
  return { unhidden: unhidden.map((m) => m.userId), members };
};
