/**
 * Reactions to messages (spec stompx-current.md §9): a member of a message's channel reacts with
 * an emoji once; the message resource carries a summary per emoji.
 */
import type { Db } from "../db/client";
import { type Emoji, emojiOf, parseEmoji } from "./emoji";
import { ChatError, messageNotFound } from "./errors";
import type { ChatScope } from "./messages";
import type { ChannelRow } from "./queries/channels";
import { findMessageForViewer } from "./queries/message-views";
import type { MessageRow } from "./queries/messages";
import { deleteReaction, insertReaction, listReactionsPage, type ReactionRow, tallyReactions } from "./queries/reactions";
import type { UserRow } from "./queries/users";

/** A reaction as every transport presents it. */
interface Reaction {
  messageId: number;
  emoji: Emoji;
  user: UserRow;
  createdAt: Date;
}

/** One emoji's entry in a message resource's `reactions`. */
export interface ReactionSummary {
  emoji: Emoji;
  users: UserRow[];
  count: number;
}

/** Users a summary lists per emoji; `count` still counts them all. */
export const SUMMARY_USERS_PER_EMOJI = 10;

/** What a reaction changed: the reaction, and the message and channel to present and publish it with. */
export interface ReactionChange {
  reaction: Reaction;
  message: MessageRow;
  channel: ChannelRow;
}

const present = (row: ReactionRow): Reaction => ({ ...row, emoji: emojiOf(row.emoji) });

/** The message the user sees, or not found (unknown, another application's, or invisible to them). */
const viewedMessage = async ({ db, applicationId }: ChatScope, userId: number, messageId: number) => {
  const viewed = await findMessageForViewer(db, applicationId, userId, messageId);
  if (!viewed) throw messageNotFound(messageId);
  return viewed;
};

/** The user reacts to a message of a channel they are a member of; the same emoji twice is refused. */
export const react = async (scope: ChatScope, userId: number, messageId: number, emojiInput: unknown): Promise<ReactionChange> => {
  const emoji = parseEmoji(emojiInput);
  const { message, channel, isMember } = await viewedMessage(scope, userId, messageId);
  if (!isMember) throw new ChatError("NotAChannelMemberError", `Join channel ${channel.id} before reacting to its messages`);
  const row = await insertReaction(scope.db, scope.applicationId, messageId, userId, emoji.character);
  if (!row) throw new ChatError("DuplicateReactionError", `You already reacted to message ${messageId} with ${emoji.character}`);
  return { reaction: present(row), message, channel };
};

/** Takes back the user's reaction with this emoji; never reacted so: refused. */
export const removeReaction = async (scope: ChatScope, userId: number, messageId: number, emojiInput: unknown): Promise<ReactionChange> => {
  const emoji = parseEmoji(emojiInput);
  const { message, channel } = await viewedMessage(scope, userId, messageId);
  const row = await deleteReaction(scope.db, scope.applicationId, messageId, userId, emoji.character);
  if (!row) throw new ChatError("ReactionNotFoundError", `You have not reacted to message ${messageId} with ${emoji.character}`);
  return { reaction: present(row), message, channel };
};

/** A numbered page of a message's reactions (oldest first), with the total. The caller checked the message. */
export const listReactions = async (db: Db, applicationId: number, messageId: number, offset: number, limit: number) => {
  const { rows, total } = await listReactionsPage(db, applicationId, messageId, offset, limit);
  return { rows: rows.map(present), total };
};

/** Each message's `reactions` (emoji first used first); a message nobody reacted to has none in the map. */
export const reactionSummaries = async (db: Db, applicationId: number, messageIds: number[]) => {
  const summaries = new Map<number, ReactionSummary[]>();
  for (const tally of await tallyReactions(db, applicationId, messageIds, SUMMARY_USERS_PER_EMOJI)) {
    const entry: ReactionSummary = { emoji: emojiOf(tally.emoji), users: tally.users, count: tally.count };
    summaries.set(tally.messageId, [...(summaries.get(tally.messageId) ?? []), entry]);
  }
  return summaries;
};
