/**
 * Posting and listing messages: the one pipeline behind every transport (the Platform API, chat
 * sessions, uploads), which only translate requests into these calls and the results into their
 * own shapes.
 *
 * Posting: an OPEN channel's message is held by the channel's room, which publishes it (it is
 * never written to D1); any other channel's message is inserted in D1 first, then published
 * through the room, which fans it out to the channel's live sessions and notifies members who
 * are not watching. A saved message is never turned into an error by a failed publish.
 */
import type { Db } from "../db/client";
import { isUniqueViolation } from "../db/errors";
import type { StoredFile } from "../db/schema";
import { deleteFiles, putFile } from "../files/storage";
import { ChatError, channelNotFound } from "./errors";
import { findIdempotencyKey } from "./queries/idempotency";
import { markRead } from "./queries/members";
import {
  findMessage,
  insertIntoPersistedChannel,
  listChannelMessages,
  type MessageContent,
  type MessageRow,
  type Placement,
} from "./queries/messages";
import type { ThreadRow } from "./queries/threads";
import type { ChannelRow } from "./queries/channels";
import type { UserRow } from "./queries/users";
import { keyReused, type IdempotencyClaim } from "./idempotency";
import { channelRoomStub, publishSaved, type EphemeralMessage, type EphemeralSender, type NewEphemeralMessage, type Origin } from "./live";
import { isEphemeral } from "./rules";

/** Where an operation runs: the bindings, the database, and the application it acts for. */
export interface ChatScope {
  env: Env;
  db: Db;
  applicationId: number;
}

export type SystemContent = Extract<MessageContent, { type: "SYSTEM_TEXT" | "SYSTEM_FILE" }>;
export type UserContent = Extract<MessageContent, { type: "TEXT" | "FILE" }>;

/** A posted message: held by an OPEN channel's room, or saved in D1. `created` is false for a retry's replay. */
export type Posted = { held: EphemeralMessage; created: boolean } | { saved: MessageRow; created: boolean; published: boolean };

export interface PostOptions {
  /** The request's Idempotency-Key and fingerprint: a retry gets the first request's message. */
  claim?: IdempotencyClaim | undefined;
  /** The sender's chat connection, which gets the message with its receipt. */
  origin?: Origin | undefined;
  /** Hands the live delivery of a saved message to run after the answer (HTTP `waitUntil`); else it is awaited. */
  defer?: ((delivery: Promise<unknown>) => void) | undefined;
}

/**
 * The message an unexpired key already sent to a persisted channel, if any; the same key with a
 * different request is refused. (Keys of OPEN channels live in their rooms.)
 */
export const findEarlierMessage = async ({ db, applicationId }: ChatScope, claim: IdempotencyClaim): Promise<MessageRow | undefined> => {
  const record = await findIdempotencyKey(db, applicationId, claim.key);
  if (!record) return undefined;
  if (record.fingerprint !== claim.fingerprint) throw keyReused(claim.key);
  const message = await findMessage(db, applicationId, record.messageId);
  if (!message)
    throw new ChatError("MessageNotFoundError", `Message ${record.messageId}, sent with this Idempotency-Key, was deleted since`);
  return message;
};

/** A system message from the application's back end. The channel is read in the insert's own round trip. */
export const postSystemMessage = async (
  scope: ChatScope,
  channelId: number,
  content: SystemContent,
  options: PostOptions = {},
): Promise<Posted> => {
  const knownOpen = knownOpenChannels.get(openChannelKey(scope.applicationId, channelId));
  if (knownOpen) return holdInRoom(scope, knownOpen, content, undefined, options);
  const inserted = await insertOnce(scope, channelId, content, null, options.claim);
  if ("replayed" in inserted) return inserted.replayed;
  const { message, channel } = inserted;
  if (!channel) throw channelNotFound(channelId);
  if (!message) return holdInRoom(scope, channel, content, undefined, options);
  return { saved: message, created: true, published: await publish(scope, channel, message, options) };
};

/**
 * Inserts a message unless its claim's key was recorded meanwhile: a concurrent request with the
 * same key that committed first makes the insert fail as a whole (UNIQUE on the key), and then
 * that request's message is the answer (`replayed`).
 */
const insertOnce = async (
  scope: ChatScope,
  channelId: number,
  content: MessageContent,
  sender: UserRow | null,
  claim: IdempotencyClaim | undefined,
  placement: Placement = {},
): Promise<Awaited<ReturnType<typeof insertIntoPersistedChannel>> | { replayed: Posted }> => {
  try {
    return await insertIntoPersistedChannel(scope.db, scope.applicationId, channelId, content, sender, claim, placement);
  } catch (e) {
    const earlier = claim && isUniqueViolation(e) ? await findEarlierMessage(scope, claim) : undefined;
    if (!earlier) throw e;
    return { replayed: { saved: earlier, created: false, published: false } };
  }
};

export interface UserPostOptions extends PostOptions {
  /** The message this one replies to (chat/message-changes.ts `replyTarget`), which must be in the same channel. */
  parent?: Pick<MessageRow, "id" | "channelId"> | undefined;
  /**
   * The standalone thread it goes to (chat/threads.ts `threadForMember`), of the same channel. Its
   * messages stay out of the channel's live topics (stompx-current.md §10.3): the sender gets it back.
   */
  thread?: Pick<ThreadRow, "id" | "channelId"> | undefined;
}

/**
 * A user's message to a channel they may send to (the caller checked it against D1), or a reply
 * to a message of that channel. Sending marks the channel read up to that message for the sender.
 */
export const postUserMessage = async (
  scope: ChatScope,
  channel: ChannelRow,
  sender: UserRow,
  content: UserContent,
  options: UserPostOptions = {},
): Promise<Posted> => {
  const { parent, thread } = options;
  // OPEN channels' messages live in their rooms, never in D1: nothing there can be replied to.
  if (parent && (parent.channelId !== channel.id || isEphemeral(channel.type))) {
    throw new ChatError("InvalidMessageError", `A reply goes to the channel of message ${parent.id}`, { parent: "must be in the channel" });
  }
  if (thread && thread.channelId !== channel.id) {
    throw new ChatError("InvalidMessageError", `A thread's message goes to the channel of thread ${thread.id}`, {
      thread: "must be in the channel",
    });
  }
  if (isEphemeral(channel.type)) return holdInRoom(scope, channel, content, sender, options);
  const placement = { parentId: parent?.id ?? null, threadId: thread?.id ?? null };
  const inserted = await insertOnce(scope, channel.id, content, sender, options.claim, placement);
  if ("replayed" in inserted) return inserted.replayed;
  const { message } = inserted;
  // The channel was seen a moment ago: a message not inserted now means it was deleted meanwhile.
  if (!message) throw channelNotFound(channel.id);
  const [published] = await Promise.all([
    thread ? false : publish(scope, channel, message, options),
    markRead(scope.db, scope.applicationId, channel.id, sender.id, message.id),
  ]);
  return { saved: message, created: true, published };
};

/**
 * Stores an uploaded file in R2, then posts its message with `post`. The object is deleted again
 * when nothing refers to it: the post failed, or answered a retry with the first attempt's
 * message (and file). A hosted file of an OPEN channel's message stays in R2 after the room
 * forgets the message: it is deleted with the channel (every object under `<app>/<channel>/`).
 */
export const postWithStoredFile = async (
  scope: ChatScope,
  baseUrl: string,
  channelId: number,
  file: File,
  post: (stored: StoredFile) => Promise<Posted>,
): Promise<Posted> => {
  const stored = await putFile(scope.env.FILES, baseUrl, scope.applicationId, channelId, file);
  let posted: Posted;
  try {
    posted = await post(stored);
  } catch (e) {
    await deleteFiles(scope.env.FILES, [stored]);
    throw e;
  }
  if (!posted.created) await deleteFiles(scope.env.FILES, [stored]);
  return posted;
};

/** Messages of a channel, newest first: an OPEN channel's from its room (keyed by `seq`), others' from D1 (keyed by id). */
export type MessageList = { held: EphemeralMessage[] } | { saved: MessageRow[] };

/**
 * Up to `limit` messages of the channel whose key is at most `atMost` (all when undefined),
 * newest first. `prefetched` are D1 rows the caller already read with the channel (one round
 * trip), used unless the channel turns out to be OPEN.
 */
export const listMessages = async (
  scope: ChatScope,
  channel: Pick<ChannelRow, "id" | "type">,
  atMost: number | undefined,
  limit: number,
  prefetched?: MessageRow[],
): Promise<MessageList> => {
  if (isEphemeral(channel.type)) return { held: await channelRoomStub(scope.env, scope.applicationId, channel.id).list(atMost, limit) };
  return { saved: prefetched ?? (await listChannelMessages(scope.db, scope.applicationId, channel.id, atMost, limit)) };
};

/** The sender as an OPEN channel's room keeps it (flat for RPC: no `properties`). */
const ephemeralSender = (u: UserRow): EphemeralSender => ({
  id: u.id,
  name: u.name,
  displayName: u.displayName ?? u.name,
  ...(u.displayPictureUrl ? { displayPictureUrl: u.displayPictureUrl } : {}),
  isGuest: u.isGuest,
});

/**
 * OPEN channels this isolate has posted to: a channel's type never changes and its id is never
 * reused, so the next system message goes straight to the room, with no D1 round trip. A deleted
 * channel's room refuses the post (ChannelRoom.clear), which also drops the entry here.
 */
const knownOpenChannels = new Map<string, ChannelRow>();
const KNOWN_OPEN_CHANNELS_LIMIT = 10_000;
const openChannelKey = (applicationId: number, channelId: number) => `${applicationId}:${channelId}`;

const rememberOpenChannel = (applicationId: number, channel: ChannelRow) => {
  const key = openChannelKey(applicationId, channel.id);
  knownOpenChannels.delete(key);
  if (knownOpenChannels.size >= KNOWN_OPEN_CHANNELS_LIMIT) knownOpenChannels.delete(knownOpenChannels.keys().next().value!);
  knownOpenChannels.set(key, channel);
};

/** An OPEN channel's message: held (and published) by its room, which also keeps its idempotency keys. */
const holdInRoom = async (
  scope: ChatScope,
  channel: ChannelRow,
  content: MessageContent,
  sender: UserRow | undefined,
  { claim, origin }: PostOptions,
): Promise<Posted> => {
  const room = channelRoomStub(scope.env, scope.applicationId, channel.id);
  const deleted = () => {
    knownOpenChannels.delete(openChannelKey(scope.applicationId, channel.id));
    return channelNotFound(channel.id);
  };
  const message: NewEphemeralMessage = {
    type: content.type,
    ...("body" in content ? { body: content.body } : { file: content.file }),
    ...(content.groupTag !== undefined ? { groupTag: content.groupTag } : {}),
    ...(sender ? { user: ephemeralSender(sender) } : {}),
  };
  if (!claim) {
    const held = await room.post(channel.id, message, origin);
    if (!held) throw deleted();
    rememberOpenChannel(scope.applicationId, channel);
    return { held, created: true };
  }
  const posted = await room.postOnce(channel.id, message, claim);
  if (posted.outcome === "conflict") throw keyReused(claim.key);
  if (posted.outcome !== "created" && posted.outcome !== "replayed") throw deleted();
  rememberOpenChannel(scope.applicationId, channel);
  return { held: posted.message, created: posted.outcome === "created" };
};

/** Publishes a saved message through its channel's room: now, or after the answer when deferred. */
const publish = async (scope: ChatScope, channel: ChannelRow, message: MessageRow, { origin, defer }: PostOptions): Promise<boolean> => {
  const room = channelRoomStub(scope.env, scope.applicationId, channel.id);
  const notify = { applicationId: scope.applicationId, channelName: channel.name, senderId: message.userId };
  const delivery = publishSaved(room, message, notify, origin);
  if (!defer) return delivery;
  defer(delivery);
  return true;
};
