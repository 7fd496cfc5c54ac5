/**
 * Channel operations every transport shares: what a user may see and act in, and creating a
 * channel (a DIRECT channel is one per set of users: asking again returns it).
 */
import type { ChannelType } from "../db/schema";
import { drainFileDeletions } from "../files/deletions";
import { ChatError, channelNotFound } from "./errors";
import { clearRoom } from "./live";
import { membershipEnded } from "./live-access";
import type { ChatScope } from "./messages";
import {
  type ChannelDetails,
  type ChannelRow,
  deleteChannel,
  findOrCreateDirectChannel,
  findVisibleChannel,
  insertChannel,
  type VisibleChannel,
} from "./queries/channels";
import { removeMember } from "./queries/members";
import { directMembersRule, isValidDirectMemberCount } from "./rules";

/** The channel as this user sees it; not found when it does not exist or is PRIVATE to others. */
export const channelForUser = async ({ db, applicationId }: ChatScope, userId: number, channelId: number): Promise<VisibleChannel> => {
  const channel = await findVisibleChannel(db, applicationId, userId, channelId);
  if (!channel) throw channelNotFound(channelId);
  return channel;
};

/** The channel, which this user must be a member of to act in it (send, mark read, upload). */
export const channelForMember = async (scope: ChatScope, userId: number, channelId: number): Promise<VisibleChannel> => {
  const channel = await channelForUser(scope, userId, channelId);
  if (!channel.isMember) throw new ChatError("NotAChannelMemberError", `Join channel ${channelId} (${channel.name}) before acting in it`);
  return channel;
};

export interface NewChannel extends ChannelDetails {
  type: ChannelType;
  /** "" or undefined: no name. */
  name?: string | undefined;
  /** Distinct users of the application (checked by the caller); a DIRECT channel's complete set. */
  memberIds: number[];
}

/**
 * Creates a channel with its members in one batch; a DIRECT one only unless its set of members has
 * one (then that channel, unchanged: its details are the first create's).
 */
export const createChannel = async (
  { db, applicationId }: ChatScope,
  input: NewChannel,
): Promise<{ channel: ChannelRow; created: boolean }> => {
  const { type, name, memberIds, ...details } = input;
  if (type !== "DIRECT") return { channel: await insertChannel(db, applicationId, type, name, memberIds, details), created: true };
  if (!isValidDirectMemberCount(new Set(memberIds).size)) {
    throw new ChatError("InvalidChannelMembersError", directMembersRule, { members: directMembersRule });
  }
  return findOrCreateDirectChannel(db, applicationId, name || undefined, memberIds, details);
};

/**
 * Deletes a channel with its messages and memberships; undefined when there was none. Committed
 * first: what follows is cleanup that never turns the answer into an error. R2 deletions that fail
 * are retried by the scheduled sweep; a room that cannot be told holds only shard names and an
 * OPEN channel's messages, which nothing can read without the channel.
 */
export const deleteChannelAndContents = async (scope: ChatScope, channelId: number) => {
  const { deleted, app, fileDeletions } = await deleteChannel(scope.db, scope.applicationId, channelId);
  if (!deleted || !app) return undefined;
  await Promise.all([clearRoom(scope.env, scope.applicationId, channelId), drainFileDeletions(scope.env, fileDeletions)]);
  return { deleted, app };
};

/**
 * Removes a member (their moderator role goes with it) and tells their live sessions; the user
 * (id and name), or undefined when they were not a member.
 */
export const removeMemberAndRevoke = async (scope: ChatScope, channel: Pick<ChannelRow, "id" | "type">, userId: number) => {
  const removed = await removeMember(scope.db, scope.applicationId, channel.id, userId);
  if (removed) await membershipEnded(scope.env, scope.applicationId, removed, channel);
  return removed;
};
