/**
 * Reading (spec §8.2): a member moves their read marker over a channel or up to a message, and
 * anyone who sees a message may list who has read it. One read is one receipt event at most: for
 * the newest message it newly covered, unless that one is the reader's own (the caller publishes).
 */
import { channelForMember } from "./channels";
import { ChatError, messageNotFound } from "./errors";
import type { ChatScope } from "./messages";
import type { VisibleChannel } from "./queries/channels";
import { findMessageForViewer } from "./queries/message-views";
import type { MessageRow } from "./queries/messages";
import { advanceReadMarker, listReceiptsPage, newestVisibleBetween } from "./queries/read-receipts";
import type { UserRow } from "./queries/users";

export interface ReadResult {
  channel: VisibleChannel;
  /** The message the read's receipt event is about; undefined: no event (nothing new, or the newest is the reader's own). */
  newestRead: MessageRow | undefined;
}

const read = async (scope: ChatScope, userId: number, channel: VisibleChannel, messageId?: number): Promise<ReadResult> => {
  const moved = await advanceReadMarker(scope.db, scope.applicationId, channel.id, userId, messageId);
  if (!moved) return { channel, newestRead: undefined };
  const newest = await newestVisibleBetween(scope.db, scope.applicationId, userId, channel.id, moved);
  return { channel, newestRead: newest && newest.userId !== userId ? newest : undefined };
};

/** Marks the member's channel read up to its newest message. */
export const readChannel = async (scope: ChatScope, userId: number, channelId: number): Promise<ReadResult> =>
  read(scope, userId, await channelForMember(scope, userId, channelId));

/** Marks the channel read up to this message (never backwards); the reader must see it and be a member of its channel. */
export const readMessage = async (scope: ChatScope, userId: number, messageId: number): Promise<ReadResult> => {
  const viewed = await findMessageForViewer(scope.db, scope.applicationId, userId, messageId);
  if (!viewed) throw messageNotFound(messageId);
  const { channel, isMember } = viewed;
  if (!isMember) throw new ChatError("NotAChannelMemberError", `Join channel ${channel.id} (${channel.name}) before acting in it`);
  return read(scope, userId, { ...channel, isMember }, messageId);
};

/** A numbered page of who has read a message the viewer sees (spec §15.8 ReadReceipt), earliest read first, with the total. */
export const listReadReceipts = async (
  scope: ChatScope,
  viewerId: number,
  messageId: number,
  offset: number,
  limit: number,
): Promise<{ rows: { user: UserRow; createdAt: Date }[]; total: number }> => {
  const viewed = await findMessageForViewer(scope.db, scope.applicationId, viewerId, messageId);
  if (!viewed) throw messageNotFound(messageId);
  return listReceiptsPage(scope.db, scope.applicationId, viewed.message, offset, limit);
};
