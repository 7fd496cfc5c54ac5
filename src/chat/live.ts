/**
 * The live side of chat: the addresses of the two Durable Object classes (`durable/`), and what
 * the rest of the code hands them over RPC. Operations reach rooms and shards only through here.
 *
 * Which `SessionShard` object holds a user's sockets. All connections of one user land in the
 * same shard (so events for that user touch one object), and an application's users spread
 * over `SESSION_SHARDS` shards (so no single object carries a whole application).
 *
 * The shard is chosen by the user's *name*, which a chat session presents before the user row
 * exists: the Worker forwards the upgrade without writing anything, and the shard creates a
 * guest only once a valid CONNECT arrives. Names never change, so a user's shard never does.
 */
import { readConfig } from "../config";
import type { JsonObject, MessageType, StoredFile } from "../db/schema";
import type { MessageRow } from "./queries/messages";
import { retryTransient } from "./retry";

/** FNV-1a over the UTF-16 units: stable, fast, and spread well enough for a modulus. */
const fnv1a = (s: string) => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
};

/** @example shardName(env, 3, "jane") // "3:10" with 16 shards */
export const shardName = (env: Env, applicationId: number, userName: string) =>
  `${applicationId}:${fnv1a(userName) % readConfig(env).sessionShards}`;

/**
 * The hibernation tag of a user's sockets within their shard (tags are fixed when a socket is
 * accepted, before the user's id is known, and are at most 256 characters). Different names may
 * share a tag: callers check each socket's own user id.
 */
export const userTag = (userName: string) => `user:${fnv1a(userName).toString(36)}:${userName.length}`;

export const sessionShardStub = (env: Env, name: string) => env.SESSION_SHARDS.get(env.SESSION_SHARDS.idFromName(name));

/** The one place that names a channel's room. @example await channelRoomStub(env, 1, 7).list(undefined, 20) */
export const channelRoomStub = (env: Env, applicationId: number, channelId: number) =>
  env.CHANNEL_ROOMS.get(env.CHANNEL_ROOMS.idFromName(`${applicationId}:${channelId}`));

export type ChannelRoomStub = ReturnType<typeof channelRoomStub>;

/** An OPEN channel's message, held by its room (memory only). */
export interface EphemeralMessage {
  /** Position in the room's stream; a cursor key, never shown as an id. */
  seq: number;
  type: MessageType;
  body?: string;
  file?: StoredFile;
  /** System file messages: the back end's optional label. */
  groupTag?: string;
  createdTime: string;
  /** The sender of TEXT and FILE messages (without `properties`: RPC types stay flat). */
  user?: EphemeralSender;
}

export interface EphemeralSender {
  id: number;
  name: string;
  displayName: string;
  displayPictureUrl?: string;
  isGuest: boolean;
}

export type NewEphemeralMessage = Omit<EphemeralMessage, "seq" | "createdTime">;

/** Members to notify of a new message: the channel's, but the sender (none for system messages). */
export interface NotifyMembers {
  applicationId: number;
  channelName: string;
  senderId: number | null;
}

/** What `postOnce` did: held a new message, found the key's earlier one, or found it used for another request. */
export type KeyedPost = { outcome: "created" | "replayed"; message: EphemeralMessage } | { outcome: "conflict" | "deleted" };

/** One event for a shard's subscribers of a channel, and the connection that caused it (if any). */
export interface Delivery {
  event: string;
  origin?: Origin | undefined;
  /** An OPEN channel's message: ephemeral, so a watcher that fell behind may miss it (outbox.ts). */
  ephemeral?: true;
  /** A `Signal`'s: for the channel's self topic instead of its messages topic. */
  signal?: true;
  /** The user whose connections do not get it (keystrokes' typist). */
  exceptUserId?: number | undefined;
}

/**
 * A channel event (from the back end) or a user's keystrokes, for the channel's live sessions:
 * never stored, so there is nothing to fetch back, and a watcher that fell behind loses it
 * without notice. Keystrokes are not echoed to the typing user's own connections.
 */
export type Signal =
  | { kind: "event"; type: string; properties: JsonObject }
  | { kind: "keystrokes"; user: { id: number; name: string }; keys: string };

/** Longest custom event `type`, in UTF-16 units as every length of the contract. */
export const MAX_EVENT_TYPE_LENGTH = 100;
/**
 * Largest custom event `properties`, in UTF-8 bytes of its JSON: every watcher's connection holds
 * a copy while it waits (64 KiB per connection, outbox.ts), so one event stays a small share.
 */
export const MAX_EVENT_PROPERTIES_BYTES = 16 * 1024;

/** Deliveries a room dropped for a shard that fell behind, by kind (channel-room.ts). */
export interface Skipped {
  ephemeral: number;
  persisted: number;
}

/** Where a published event came from: the sender's connection gets it with its receipt. */
export interface Origin {
  shard: string;
  conn: string;
  receipt?: string;
}

/** Why the Platform API ends a user's live sessions: the ERROR frame each connection gets. */
export interface SessionEnd {
  error: "UserDeletedError" | "AccessRevokedError";
  message: string;
}

/**
 * Live delivery of a message that is already saved: best effort. A saved message is never turned
 * into an error because its fan-out failed (the client would retry and save it twice): transient
 * room failures are retried, then given up and logged; watchers see the message on their next
 * fetch. Returns whether the room took it.
 */
export const publishSaved = async (
  room: ChannelRoomStub,
  message: MessageRow,
  notify: NotifyMembers,
  origin?: Origin,
): Promise<boolean> => {
  try {
    await retryTransient(() => room.publish(message, notify, origin));
    return true;
  } catch (e) {
    logLiveFailure("publish_failed", message.channelId, e);
    return false;
  }
};

/**
 * Sends a signal to the channel's live sessions, through its room (in order with its messages).
 * The delivery is all a signal request does, so it is not best effort: transient room failures are
 * retried, then the error propagates (the API answers 503). False when the room knows the channel
 * was deleted.
 */
export const sendSignal = (env: Env, applicationId: number, channelId: number, signal: Signal): Promise<boolean> =>
  retryTransient(() => channelRoomStub(env, applicationId, channelId).signal(channelId, signal));

/** Tells a deleted channel's room to forget everything; best effort (logged), like `publishSaved`. */
export const clearRoom = async (env: Env, applicationId: number, channelId: number) => {
  try {
    await retryTransient(() => channelRoomStub(env, applicationId, channelId).clear());
  } catch (e) {
    logLiveFailure("room_clear_failed", channelId, e);
  }
};

const logLiveFailure = (event: string, channelId: number, e: unknown) =>
  console.error(JSON.stringify({ level: "error", event, channelId, error: e instanceof Error ? e.message : String(e) }));
