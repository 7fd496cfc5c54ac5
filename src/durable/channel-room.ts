/**
 * One `ChannelRoom` object per channel (named `<appId>:<channelId>`). It has two jobs:
 *
 * 1. **Ephemeral messages of OPEN channels.** Open channels are Twitch-style chats whose
 *    messages live only in this object's memory by contract: never D1, never Durable Object
 *    storage. When the object is evicted the backlog is gone; that is the promise open channels
 *    make. Memory stays flat: only the newest `OPEN_CHANNEL_MESSAGE_LIMIT` messages are kept.
 *
 * 2. **Live fan-out, for every channel type.** Sockets live in `SessionShard` objects, each
 *    holding the connections of a slice of the application's users. A shard registers here when
 *    one of its connections subscribes to this channel's messages topic or its self topic;
 *    `publish` (messages) and `signal` (channel events, keystrokes) send each event once to every
 *    registered shard, and the shard writes it to its local sockets. Being
 *    the single sequencer per channel gives every subscriber the same order, and a per-shard
 *    promise chain keeps that order on the wire. The registry (shard names, not messages) is
 *    kept in this object's SQLite storage so an evicted room keeps delivering; a shard that
 *    reports no subscribers left is dropped.
 */
import { DurableObject } from "cloudflare:workers";
import { IDEMPOTENCY_KEY_TTL_MS, type IdempotencyClaim } from "../chat/idempotency";
import {
  type Delivery,
  deliverToUsers,
  sessionShardStub,
  shardName,
  type EphemeralMessage,
  type KeyedPost,
  type NewEphemeralMessage,
  type Notifications,
  type NotifyMembers,
  type Origin,
  type Signal,
  type Skipped,
} from "../chat/live";
import { allBlockersOf } from "../chat/blocks";
import { noticeNewMessage } from "../chat/member-settings";
import { findChannel } from "../chat/queries/channels";
import { membersOfChannels } from "../chat/queries/members";
import type { MessageRow } from "../chat/queries/messages";
import { readConfig } from "../config";
import { createDb, type Db, openSession } from "../db/client";
import { envelope, toChannel, toEphemeralMessage, toEvent, toKeystrokes, toMessage, toNotification } from "../realtime/current-presenters";
import {
  channelEventTriggered,
  keystrokesCreated,
  messageCreatedEvent,
  messageNotification,
  toChatMessage,
  toEphemeralChatMessage,
} from "../realtime/presenters";
import { Typing } from "./typing";

const NOTIFY_LIMIT = 1000;
const BLOCKERS_TTL_MS = 5000;
const MAX_CACHED_SENDERS = 1000;
/**
 * Deliveries that may wait for one shard while its previous call runs. Past it the oldest are
 * dropped and the shard is told (its watchers fell behind: session-shard.ts `deliver`), so a shard
 * that cannot keep up costs the room bounded memory.
 */
export const SHARD_BACKLOG = 256;

interface ShardQueue {
  gen: number;
  events: Delivery[];
  skipped: Skipped;
  sent: Promise<void>;
}
/** Idempotency keys an OPEN channel's room remembers (memory, like its messages): the newest. */
const KEY_LIMIT = 1000;

export class ChannelRoom extends DurableObject<Env> {
  private readonly limit = readConfig(this.env).openChannelMessageLimit;
  private messages: EphemeralMessage[] = [];
  // Sequence numbers and timestamps only increase, even if the clock steps back, so cursors and
  // ordering stay stable.
  private lastSeq = 0;
  private lastTime = 0;
  /** Whether the shard table exists: undefined until looked up once (then kept in memory). */
  private registryReady: boolean | undefined;
  /**
   * Per shard, the events waiting for the delivery in flight to finish. One RPC at a time per
   * shard keeps events in order on its sockets; what queues up meanwhile goes as one batch, so a
   * busy channel costs one call per shard per round trip, not one per message.
   */
  private readonly queues = new Map<string, ShardQueue>();
  /** Per sender: who blocked them, and when that was read (`blockersOf`). */
  private readonly blockers = new Map<number, { ids: number[]; at: number }>();
  /** Idempotency key → its message, oldest first; bounded by KEY_LIMIT and a day. */
  private readonly keys = new Map<string, { fingerprint: string; at: number; message: Promise<EphemeralMessage | undefined> }>();
  /** Who is typing here (memory only: typing is ephemeral), and the events that say so. */
  private readonly typing = new Typing((channelId, delivery) => this.fanOut(channelId, delivery));
  /** Whether `clear` ran (kept in storage: ids are never reused, so a deleted channel stays deleted). */
  private deleted: boolean | undefined;

  /**
   * Appends an ephemeral message, dropping the oldest beyond the bound, and publishes it.
   * Undefined when the channel was deleted (`clear`): a Worker that posts here without asking D1
   * first (chat/messages.ts) learns it this way.
   */
  async post(channelId: number, message: NewEphemeralMessage, origin?: Origin): Promise<EphemeralMessage | undefined> {
    if (this.isDeleted()) return undefined;
    this.lastTime = Math.max(Date.now(), this.lastTime + 1);
    const stored: EphemeralMessage = { ...message, seq: ++this.lastSeq, createdTime: new Date(this.lastTime).toISOString() };
    this.messages.push(stored);
    if (this.messages.length > this.limit) this.messages.splice(0, this.messages.length - this.limit);
    await this.fanOut(channelId, {
      ...messageCreated(toEphemeralChatMessage(channelId, stored), toEphemeralMessage(channelId, stored)),
      origin,
      ephemeral: true,
    });
    if (stored.user) await this.typing.stopped(channelId, stored.user.id);
    return stored;
  }

  /**
   * `post` once per idempotency key: a retry gets the message the key first posted (even after it
   * left the backlog). The key is remembered before the first await, so concurrent retries wait
   * for the same message; a post that fails forgets it, so the retry can try again.
   */
  async postOnce(channelId: number, message: NewEphemeralMessage, claim: IdempotencyClaim): Promise<KeyedPost> {
    if (this.isDeleted()) return { outcome: "deleted" };
    const now = Date.now();
    const earlier = this.keys.get(claim.key);
    if (earlier && now - earlier.at < IDEMPOTENCY_KEY_TTL_MS) {
      if (earlier.fingerprint !== claim.fingerprint) return { outcome: "conflict" };
      const replayed = await earlier.message;
      return replayed ? { outcome: "replayed", message: replayed } : { outcome: "deleted" };
    }
    // Delete first: re-setting an existing key would keep its old place in the insertion order.
    this.keys.delete(claim.key);
    const entry = { fingerprint: claim.fingerprint, at: now, message: this.post(channelId, message) };
    this.keys.set(claim.key, entry);
    for (const [key, { at }] of this.keys) {
      if (this.keys.size <= KEY_LIMIT && now - at < IDEMPOTENCY_KEY_TTL_MS) break;
      this.keys.delete(key);
    }
    try {
      const posted = await entry.message;
      return posted ? { outcome: "created", message: posted } : { outcome: "deleted" };
    } catch (e) {
      if (this.keys.get(claim.key) === entry) this.keys.delete(claim.key);
      throw e;
    }
  }

  /** Up to `count` messages with `seq <= atMost` (all when undefined), newest first. */
  async list(atMost: number | undefined, count: number): Promise<EphemeralMessage[]> {
    const out: EphemeralMessage[] = [];
    for (let i = this.messages.length - 1; i >= 0 && out.length < count; i--) {
      const m = this.messages[i]!;
      if (atMost === undefined || m.seq <= atMost) out.push(m);
    }
    return out;
  }

  /** Forgets every message and subscriber, and refuses posts from now on: the channel was deleted. */
  async clear(): Promise<void> {
    this.messages = [];
    this.keys.clear();
    if (this.hasRegistry()) this.ctx.storage.sql.exec("DELETE FROM shards");
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS deleted (at INTEGER NOT NULL)");
    this.ctx.storage.sql.exec("INSERT INTO deleted (at) VALUES (?)", Date.now());
    this.deleted = true;
  }

  /** How many messages are held; for tests and monitoring. */
  async size(): Promise<number> {
    return this.messages.length;
  }

  /** A session shard now has a subscriber to this channel's messages or self topic. Idempotent. */
  async subscribe(shard: string): Promise<void> {
    this.ensureRegistry();
    this.ctx.storage.sql.exec("INSERT INTO shards (name, gen) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET gen = gen + 1", shard);
  }

  /**
   * Publishes a message saved in D1: to every live session watching the channel, then as a
   * notification to members who are not watching it. Returns once the deliveries are queued.
   */
  async publish(message: MessageRow, notify: NotifyMembers, origin?: Origin): Promise<void> {
    const live = toChatMessage(message);
    const current = toMessage(message);
    const blockedBy = message.userId === null ? [] : await this.blockersOf(notify.applicationId, message.userId);
    await this.fanOut(message.channelId, { ...messageCreated(live, current), origin, ...(blockedBy.length > 0 ? { blockedBy } : {}) });
    if (message.userId !== null) await this.typing.stopped(message.channelId, message.userId);
    const currentNotification = toNotification({ id: message.channelId, name: notify.channelName }, current);
    const notifications = {
      old: messageNotification({ id: message.channelId, name: notify.channelName }, live),
      current: JSON.stringify(currentNotification),
      currentMuted: JSON.stringify({ ...currentNotification, muted: true }),
    };
    void this.notifyMembers(message.channelId, notify, notifications);
  }

  /**
   * Who blocked the sender, read at most once per `BLOCKERS_TTL_MS` per sender: a block reaches
   * live sessions within that time (history, counts and notifications apply it at once).
   */
  private async blockersOf(applicationId: number, senderId: number): Promise<number[]> {
    const known = this.blockers.get(senderId);
    if (known && Date.now() - known.at < BLOCKERS_TTL_MS) return known.ids;
    try {
      const ids = await allBlockersOf(createDb(openSession(this.env.DB)), applicationId, senderId);
      if (this.blockers.size >= MAX_CACHED_SENDERS) this.blockers.delete(this.blockers.keys().next().value!);
      this.blockers.set(senderId, { ids, at: Date.now() });
      return ids;
    } catch (e) {
      // The message is saved: deliver it rather than fail its fan-out; the history still hides it.
      console.error(JSON.stringify({ level: "error", event: "blockers_read_failed", error: String(e) }));
      return known?.ids ?? [];
    }
  }

  /**
   * Sends an event rendered by the caller (an edit, a deletion, a reaction, a read receipt…) to the
   * channel's live sessions, in order with its messages. False when the channel was deleted.
   */
  async broadcast(channelId: number, delivery: Delivery): Promise<boolean> {
    if (this.isDeleted()) return false;
    await this.fanOut(channelId, delivery);
    return true;
  }

  /**
   * Sends a signal (a channel event, keystrokes) to the channel's live sessions, in order with its
   * messages. Nothing is kept. False when the channel was deleted (`clear`).
   */
  async signal(channelId: number, signal: Signal): Promise<boolean> {
    if (this.isDeleted()) return false;
    if (signal.kind === "event") {
      const event = { type: signal.type, properties: signal.properties };
      await this.fanOut(channelId, {
        old: { topic: "", event: channelEventTriggered(channelId, event) },
        current: { topic: "events", event: envelope("channel.event.triggered", toEvent(channelId, event, signal.user)) },
        signal: true,
        exceptConn: signal.exceptConn,
      });
      return true;
    }
    const { user, keys } = signal;
    await this.fanOut(channelId, {
      old: { topic: "", event: keystrokesCreated(user, keys) },
      current: { topic: "keystrokes", event: envelope("thread.keystrokes.created", toKeystrokes(user, keys)) },
      signal: true,
      exceptUserId: user.id,
    });
    await (keys === "" ? this.typing.stopped(channelId, user.id) : this.typing.typed(channelId, user));
    return true;
  }

  /**
   * Sends an event (a serialized envelope: a message, or a signal) to every subscribed shard, and
   * to the origin's shard so the sender gets its result even before it subscribed. Returns once
   * the deliveries are queued, in order, behind earlier ones.
   */
  private async fanOut(channelId: number, { origin, ...delivery }: Delivery): Promise<void> {
    const shards = new Map<string, number>();
    if (this.hasRegistry()) {
      for (const row of this.ctx.storage.sql.exec<{ name: string; gen: number }>("SELECT name, gen FROM shards")) {
        shards.set(row.name, row.gen);
      }
    }
    if (origin && !shards.has(origin.shard)) shards.set(origin.shard, -1);
    for (const [shard, gen] of shards) {
      const forShard = { ...delivery, ...(origin?.shard === shard ? { origin } : {}) };
      const queued = this.queues.get(shard);
      if (queued) {
        queued.events.push(forShard);
        queued.gen = Math.max(queued.gen, gen);
        if (queued.events.length > SHARD_BACKLOG) dropOldest(queued);
      } else {
        this.send(shard, channelId, { gen, events: [forShard], skipped: noneSkipped(), sent: Promise.resolve() });
      }
    }
  }

  /** Sends a shard's queue; when the call returns, whatever queued meanwhile goes next. */
  private send(shard: string, channelId: number, batch: ShardQueue) {
    this.queues.set(shard, { gen: -1, events: [], skipped: noneSkipped(), sent: batch.sent });
    const sent = batch.sent.then(() => this.deliver(shard, batch.gen, channelId, batch.events, batch.skipped));
    void sent.finally(() => {
      const next = this.queues.get(shard)!;
      if (next.events.length > 0) this.send(shard, channelId, { ...next, sent });
      else this.queues.delete(shard);
    });
  }

  /**
   * Tells members without a live chat session on this channel that a message arrived, on their
   * notifications topic. Bounded to the first `NOTIFY_LIMIT` members: a huge channel is a
   * broadcast medium, and its members watch it live.
   */
  private async notifyMembers(channelId: number, { applicationId, senderId }: NotifyMembers, notification: Notifications) {
    try {
      const membersReadAt = Date.now();
      // From the primary: the message (and any member added before it) was just written there,
      // and a lagging replica could leave out someone who should hear of it.
      const db = createDb(openSession(this.env.DB, "first-primary"));
      const { members, unhidden } = await noticeNewMessage(db, applicationId, channelId, senderId, NOTIFY_LIMIT);
      if (unhidden.length > 0) await tellUnhidden(this.env, db, applicationId, channelId, members, new Set(unhidden));
      const byShard = new Map<string, { id: number; name: string }[]>();
      for (const user of members) {
        const shard = shardName(this.env, applicationId, user.name);
        byShard.set(shard, [...(byShard.get(shard) ?? []), user]);
      }
      await Promise.all(
        [...byShard].map(([shard, users]) => sessionShardStub(this.env, shard).notify(channelId, users, notification, membersReadAt)),
      );
    } catch (e) {
      console.error(JSON.stringify({ level: "error", event: "notify_failed", channelId, error: String(e) }));
    }
  }

  private async deliver(shard: string, gen: number, channelId: number, events: Delivery[], skipped: Skipped) {
    try {
      const anySkipped = skipped.ephemeral + skipped.persisted > 0;
      const stillSubscribed = await sessionShardStub(this.env, shard).deliver(channelId, events, anySkipped ? skipped : undefined);
      // Drop the shard unless it re-subscribed while this delivery was in flight.
      if (!stillSubscribed && gen >= 0) {
        this.ctx.storage.sql.exec("DELETE FROM shards WHERE name = ? AND gen = ?", shard, gen);
      }
    } catch (e) {
      // A shard that failed (restarting, overloaded) keeps its registration: its sockets will
      // reconnect and re-subscribe, and later events still try it.
      console.error(JSON.stringify({ level: "error", event: "fanout_failed", shard, error: String(e) }));
    }
  }

  private isDeleted(): boolean {
    this.deleted ??=
      this.ctx.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'deleted'").toArray().length > 0;
    return this.deleted;
  }

  private hasRegistry(): boolean {
    // Only this object creates the table (in subscribe), so one look per lifetime is enough.
    this.registryReady ??=
      this.ctx.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'shards'").toArray().length > 0;
    return this.registryReady;
  }

  // Created on first subscribe, so an object that only ever holds ephemeral messages never
  // writes anything to storage.
  private ensureRegistry() {
    if (this.registryReady) return;
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS shards (name TEXT PRIMARY KEY, gen INTEGER NOT NULL)");
    this.registryReady = true;
  }
}

const noneSkipped = (): Skipped => ({ ephemeral: 0, persisted: 0 });

/** `user.channel.unhidden` for members whose hidden channel just got a message (stompx-current.md §12.4). */
const tellUnhidden = async (
  env: Env,
  db: Db,
  applicationId: number,
  channelId: number,
  members: { id: number; name: string; muted: boolean; isModerator: boolean }[],
  unhidden: Set<number>,
) => {
  const [channel, direct] = await Promise.all([
    findChannel(db, applicationId, channelId),
    membersOfChannels(db, applicationId, [channelId]).then((m) => m.get(channelId) ?? []),
  ]);
  if (!channel) return;
  const users = members.filter((m) => unhidden.has(m.id));
  await Promise.all(
    users.map((user) =>
      deliverToUsers(env, applicationId, [user], {
        current: {
          topic: "channels",
          event: envelope(
            "user.channel.unhidden",
            toChannel(
              { ...channel, isMember: true },
              { userId: user.id, muted: user.muted, isModerator: user.isModerator },
              channel.type === "DIRECT" ? direct : [],
            ),
          ),
        },
      }),
    ),
  );
};

/** A new message, as each dialect's watchers of the channel's messages topic get it. */
const messageCreated = (old: unknown, current: unknown): Pick<Delivery, "old" | "current"> => ({
  old: { topic: "messages", event: messageCreatedEvent(old) },
  current: { topic: "messages", event: envelope("channel.message.created", current) },
});

/**
 * Drops the oldest delivery that no sender waits on (one with an origin carries its sender's
 * receipt, and senders are rate-limited, so those stay bounded on their own). A dropped signal is
 * not counted: there is nothing to fetch back, so nothing to tell.
 */
const dropOldest = (queue: ShardQueue) => {
  const index = queue.events.findIndex((d) => !d.origin);
  if (index < 0) return;
  const [dropped] = queue.events.splice(index, 1);
  if (dropped?.signal) return;
  if (dropped?.ephemeral) queue.skipped.ephemeral++;
  else queue.skipped.persisted++;
};
