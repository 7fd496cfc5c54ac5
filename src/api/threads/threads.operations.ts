/**
 * Threads. Every channel has one MAIN thread holding its top-level messages; it shares the
 * channel's id (spec platform-api-current.md §4.4), so a thread id is a channel id and its
 * messages are the channel's. MESSAGE and STANDALONE threads are created from client sessions,
 * which do not create them yet: no id names one.
 */
import type { Context } from "hono";
import { ChatError } from "../../chat/errors";
import type { AppEnv } from "../../env";
import { ApiError } from "../../http/errors";
import { loadChannel } from "../channels/channels.operations";

const threadNotFound = (threadId: number) => new ApiError("ResourceNotFoundError", `Thread ${threadId} not found`);

/** Runs a channel operation on a thread's channel; a missing channel is a missing thread. */
export const onThread = async <T>(threadId: number, run: (channelId: number) => Promise<T>): Promise<T> => {
  try {
    return await run(threadId);
  } catch (e) {
    if (e instanceof ChatError && e.error === "ChannelNotFoundError") throw threadNotFound(threadId);
    throw e;
  }
};

export const loadThreadChannel = (c: Context<AppEnv>, appId: number, threadId: number) =>
  onThread(threadId, (channelId) => loadChannel(c, appId, channelId));
