/**
 * Signals the Platform API sends to a channel's live sessions: custom events from the back end and
 * keystrokes on a user's behalf (typing indicators). Neither is stored: delivering it is the whole
 * request, so a room that stays unreachable fails the request (503) rather than answer success.
 */
import type { Context } from "hono";
import { channelNotFound } from "../../chat/errors";
import { sendSignal, type Signal } from "../../chat/live";
import type { AppEnv } from "../../env";
import { loadChannel, writerIn } from "./channels.operations";
import type { CreateChannelEventBody, CreateKeystrokesBody } from "./channel-events.schemas";

const deliver = async (c: Context<AppEnv>, appId: number, channelId: number, signal: Signal) => {
  // The channel was just read from D1; a room that says it is gone saw it deleted meanwhile.
  if (!(await sendSignal(c.env, appId, channelId, signal))) throw channelNotFound(channelId);
};

/** A custom event from the back end to the channel's live sessions (any type of channel). */
export const sendChannelEvent = async (c: Context<AppEnv>, appId: number, channelId: number, body: CreateChannelEventBody) => {
  await loadChannel(c, appId, channelId);
  const event = { type: body.type, properties: body.properties ?? {} };
  await deliver(c, appId, channelId, { kind: "event", ...event });
  return event;
};

/**
 * What a user is typing, to the others watching the channel. As for sending a message on a user's
 * behalf, the user must be a member of a PRIVATE or DIRECT channel (403).
 */
export const sendKeystrokes = async (c: Context<AppEnv>, appId: number, channelId: number, { keys, user: ref }: CreateKeystrokesBody) => {
  const { user } = await writerIn(c, appId, channelId, ref, "user");
  await deliver(c, appId, channelId, { kind: "keystrokes", user, keys });
  return { user, keys };
};
