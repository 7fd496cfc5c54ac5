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
import type { UserRow } from "./queries/users";
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
/**
 * A shard for a current-dialect connection, whose user is named only in CONNECT (after the
 * upgrade went somewhere): any of the application's shards, at random, so they share the load.
 * Events for the user reach it through the user's home shard (`shardName`), which it registers with.
 */
export const randomShardName = (env: Env, applicationId: number) =>
  `${applicationId}:${crypto.getRandomValues(new Uint32Array(1))[0]! % readConfig(env).sessionShards}`;

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

/**
 * An event as one dialect's connections get it: the serialized envelope, and the channel topic
 * it goes to ("" is the self topic, else a sub-topic: `messages`, `keystrokes`, … see
 * realtime/destinations.ts). Rendered once per dialect, written to every socket of that dialect.
 */
interface Rendering {
  topic: string;
  event: string;
}

/** One event for a shard's subscribers of a channel, and the connection that caused it (if any). */
export interface Delivery {
  /** What 2020-dialect connections get; absent when the event does not exist for them. */
  old?: Rendering | undefined;
  /** What current-dialect connections get; absent when the event does not exist for them. */
  current?: Rendering | undefined;
  origin?: Origin | undefined;
  /** An OPEN channel's message: ephemeral, so a watcher that fell behind may miss it (outbox.ts). */
  ephemeral?: true;
  /** Nothing to fetch back (a channel event, keystrokes, typing): dropped without notice when behind. */
  signal?: true;
  /** The user whose connections do not get it (keystrokes' typist). */
  exceptUserId?: number | undefined;
  /** The connection that does not get it (a user's custom event: not echoed to its sender). */
  exceptConn?: string | undefined;
  /** Users who blocked the message's sender: their connections do not get it (stompx-current.md §12.6). */
  blockedBy?: number[] | undefined;
}

/**
 * A channel event (from the back end) or a user's keystrokes, for the channel's live sessions:
 * never stored, so there is nothing to fetch back, and a watcher that fell behind loses it
 * without notice. Keystrokes are not echoed to the typing user's own connections.
 */
export type Signal =
  | { kind: "event"; type: string; properties: JsonObject; user?: UserRow | undefined; exceptConn?: string | undefined }
  | { kind: "keystrokes"; user: UserRow; keys: string };

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

/** An event on a user's own topic (`topic` is a user sub-topic: `channels`, `messages`, …), per dialect. */
export interface UserEvent {
  old?: Rendering | undefined;
  current?: Rendering | undefined;
}

/** A notification resource, serialized for each dialect (the shard wraps it per connection). */
export interface Notifications {
  old: string;
  current: string;
  /** The current one for members who muted the channel (`muted: true`, stompx-current.md §12.1). */
  currentMuted: string;
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

/**
 * Events on users' own topics (a channel they were added to, say), through each user's home shard,
 * which forwards to the shards their other connections live on. Best effort, like `publishSaved`:
 * the change is committed, and the user sees it on their next fetch.
 */
export const deliverToUsers = async (env: Env, applicationId: number, users: { id: number; name: string }[], event: UserEvent) => {
  const byShard = new Map<string, { id: number; name: string }[]>();
  for (const user of users) {
    const shard = shardName(env, applicationId, user.name);
    byShard.set(shard, [...(byShard.get(shard) ?? []), { id: user.id, name: user.name }]);
  }
  await Promise.all(
    [...byShard].map(async ([shard, inShard]) => {
      try {
        await retryTransient(() => sessionShardStub(env, shard).toUsers(inShard, event));
      } catch (e) {
        console.error(
          JSON.stringify({ level: "error", event: "user_event_failed", shard, error: e instanceof Error ? e.message : String(e) }),
        );
      }
    }),
  );
};

/** An event rendered by the caller for a channel's live sessions, in order with its messages; best effort. */
export const broadcastToChannel = async (env: Env, applicationId: number, channelId: number, delivery: Delivery) => {
  try {
    return await retryTransient(() => channelRoomStub(env, applicationId, channelId).broadcast(channelId, delivery));
  } catch (e) {
    logLiveFailure("broadcast_failed", channelId, e);
    return false;
  }
};
