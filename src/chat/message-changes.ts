/**
 * What users do to messages already sent (spec stompx-current.md §6.4, §6.6, §6.7): edit their own
 * text, delete for everyone (sender, channel creator, moderator), delete for themselves, and
 * find the message a reply answers. Transports publish the results; nothing here is live.
 */
import { messageHides } from "../db/schema";
import { drainFileDeletions } from "../files/deletions";
import { LIMITS } from "../config";
import { ChatError, messageNotFound } from "./errors";
import type { ChatScope } from "./messages";
import type { ChannelRow } from "./queries/channels";
import { findMessageForViewer, type ViewedMessage } from "./queries/message-views";
import { deleteMessage, type MessageRow, updateMessage } from "./queries/messages";

const accessDenied = (why: string) => new ChatError("AccessDeniedError", why);

const invalidBody = (why: string) => new ChatError("InvalidMessageError", why, { body: why });

/** The message the user sees; unknown, another application's and invisible ones are all not found. */
const viewedMessage = async (
  { db, applicationId }: ChatScope,
  userId: number,
  messageId: number,
  options?: { includeHidden?: boolean },
): Promise<ViewedMessage> => {
  const viewed = await findMessageForViewer(db, applicationId, userId, messageId, options);
  if (!viewed) throw messageNotFound(messageId);
  return viewed;
};

/** A new text as a message body must be: 1 to LIMITS.messageBodyLength UTF-16 units, as sending requires. */
const checkedBody = (body: unknown): string => {
  if (typeof body !== "string") throw invalidBody("body must be a string");
  if (body.length === 0) throw invalidBody("body must not be empty");
  if (body.length > LIMITS.messageBodyLength) throw invalidBody(`body must be at most ${LIMITS.messageBodyLength} characters`);
  return body;
};

/** The sender replaces the text of their TEXT message; returns it as updated (with `lastEditedAt`). */
export const editMessage = async (scope: ChatScope, userId: number, messageId: number, body: unknown): Promise<MessageRow> => {
  const text = checkedBody(body);
  const { message } = await viewedMessage(scope, userId, messageId);
  if (message.userId !== userId) throw accessDenied(`Only the sender of message ${messageId} may edit it`);
  if (message.type !== "TEXT") throw invalidBody(`Only TEXT messages can be edited; message ${messageId} is ${message.type}`);
  const updated = await updateMessage(scope.db, scope.applicationId, messageId, { body: text });
  if (!updated) throw messageNotFound(messageId);
  return updated;
};

/**
 * Deletes the message for everyone (with its stored file): its sender, the channel's creator or a
 * moderator may. Replies stay. Returns the message as it was, and its channel.
 */
export const deleteMessageForEveryone = async (
  scope: ChatScope,
  userId: number,
  messageId: number,
): Promise<{ message: MessageRow; channel: ChannelRow }> => {
  const { message, channel, isModerator } = await viewedMessage(scope, userId, messageId);
  const mayDelete = message.userId === userId || channel.creatorId === userId || isModerator;
  if (!mayDelete) throw accessDenied(`Only the sender, the channel's creator or a moderator may delete message ${messageId}`);
  const deleted = await deleteMessage(scope.db, scope.applicationId, messageId);
  // Another delete got there first.
  if (!deleted) throw messageNotFound(messageId);
  await drainFileDeletions(scope.env, deleted.fileDeletions);
  return { message, channel };
};

/**
 * Hides the message from this user only; doing it again changes nothing and answers the same.
 * Returns the message and its channel.
 */
export const deleteMessageForMe = async (
  scope: ChatScope,
  userId: number,
  messageId: number,
): Promise<{ message: MessageRow; channel: ChannelRow }> => {
  const { message, channel } = await viewedMessage(scope, userId, messageId, { includeHidden: true });
  await scope.db.insert(messageHides).values({ applicationId: scope.applicationId, userId, messageId }).onConflictDoNothing();
  return { message, channel };
};

/**
 * The message a reply answers and its channel, where the reply goes: the user must see the message
 * and be a member of its channel.
 */
export const replyTarget = async (
  scope: ChatScope,
  userId: number,
  parentId: number,
): Promise<{ parent: MessageRow; channel: ChannelRow }> => {
  const { message, channel, isMember } = await viewedMessage(scope, userId, parentId);
  if (!isMember) throw new ChatError("NotAChannelMemberError", `Join channel ${channel.id} before replying to its messages`);
  return { parent: message, channel };
};
