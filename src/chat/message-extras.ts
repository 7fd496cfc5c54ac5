/**
 * What a message resource shows besides its row, in every transport (stompx-current.md §15.5,
 * ChatKitty's `MessageResource`): a summary of its reactions and how many replies it has.
 * Two lookups per page of messages, whatever its size.
 */
import type { Db } from "../db/client";
import { countReplies } from "./queries/message-views";
import { type ReactionSummary, reactionSummaries } from "./reactions";

export interface MessageExtras {
  reactions: ReactionSummary[];
  repliesCount: number;
}

const NONE: MessageExtras = { reactions: [], repliesCount: 0 };

/** Each message's extras, by id; `extrasOf` gives a message's (none for an id not looked up). */
export const messageExtras = async (db: Db, applicationId: number, messageIds: number[]) => {
  const [reactions, replies] = await Promise.all([
    reactionSummaries(db, applicationId, messageIds),
    countReplies(db, applicationId, messageIds),
  ]);
  return (messageId: number | undefined): MessageExtras =>
    messageId === undefined ? NONE : { reactions: reactions.get(messageId) ?? [], repliesCount: replies.get(messageId) ?? 0 };
};
