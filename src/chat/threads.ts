/**
 * Standalone threads (stompx-current.md §10): a member starts one in a channel whose messages are
 * kept (not OPEN); whoever sees the channel sees its threads. Replies to a message are not threads
 * here: they are messages with a parent (chat/message-changes.ts).
 */
import type { JsonObject } from "../db/schema";
import { channelForMember } from "./channels";
import { ChatError } from "./errors";
import type { ChatScope } from "./messages";
import { findVisibleChannel, type VisibleChannel } from "./queries/channels";
import { findThread, insertThread, type ThreadRow } from "./queries/threads";
import { isEphemeral } from "./rules";

const threadNotFound = (threadId: number) => new ChatError("ThreadNotFoundError", `Thread ${threadId} not found`);

/** A new standalone thread of a channel the user is a member of; its name and properties were validated by the caller. */
export const createThread = async (
  scope: ChatScope,
  userId: number,
  channelId: number,
  { name, properties }: { name: string; properties?: JsonObject | undefined },
): Promise<ThreadRow> => {
  const channel = await channelForMember(scope, userId, channelId);
  if (isEphemeral(channel.type))
    throw new ChatError("InvalidRequestError", `Channel ${channelId} is OPEN: its messages are not kept, so it has no threads`);
  return insertThread(scope.db, { applicationId: scope.applicationId, channelId, creatorId: userId, name, properties: properties ?? {} });
};

/** The thread and its channel, when the user sees the channel; otherwise not found (whoever's it is). */
export const threadForUser = async (
  scope: ChatScope,
  userId: number,
  threadId: number,
): Promise<{ thread: ThreadRow; channel: VisibleChannel }> => {
  const thread = await findThread(scope.db, scope.applicationId, threadId);
  const channel = thread && (await findVisibleChannel(scope.db, scope.applicationId, userId, thread.channelId));
  if (!thread || !channel) throw threadNotFound(threadId);
  return { thread, channel };
};

/** The thread and its channel, when the user is a member of the channel (to send to it). */
export const threadForMember = async (scope: ChatScope, userId: number, threadId: number) => {
  const { thread } = await threadForUser(scope, userId, threadId);
  return { thread, channel: await channelForMember(scope, userId, thread.channelId) };
};
