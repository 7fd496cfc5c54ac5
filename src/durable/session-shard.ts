/**
 * `SessionShard`: holds the chat-session WebSockets of a slice of one application's users (see
 * `chat/live.ts`) and speaks StompX to them (shared/spec/stompx-protocol.md). This class is the
 * object's lifecycle and its RPC surface; frames are handled in `session-frames.ts`, sockets are
 * written in `session-sockets.ts`, subscriptions are stored in `subscription-store.ts`.
 *
 * Sockets use the WebSocket Hibernation API: an idle shard is evicted from memory while its
 * sockets stay open, and client heart-beats are answered by the runtime without waking it. So
 * nothing a connection needs may live only in memory: who it is travels in the socket's
 * attachment, and its subscriptions (and the relay ids already answered) are rows in this
 * object's SQLite storage. Memory holds per-connection frame queues, which keep each
 * connection's frames strictly in arrival order (spec §6) even though handling one awaits D1,
 * frame budgets and recent revocations.
 */
import { DurableObject } from "cloudflare:workers";
import {
  type Delivery,
  type Notifications,
  type Origin,
  type SessionEnd,
  type Skipped,
  sessionShardStub,
  type UserEvent,
} from "../chat/live";
import { retryTransient } from "../chat/retry";
import { readConfig } from "../config";
import { createDb, openSession } from "../db/client";
import { CHANNEL_TOPICS, type ChannelTopic, currentDest, dest, type UserTopic } from "../realtime/destinations";
import { messageHead, messageTail } from "../realtime/stomp";
import { type Dialect, dialectOf, newConnectionId } from "../realtime/dialect";
import { decodeShardHeaders } from "../realtime/upgrade";
import { acceptFloorSocket, FLOOR_HEADER, floorBroadcast, isFloorSocket } from "./fan-out-floor";
import { FrameRate } from "./frame-rate";
import { RemoteConnections } from "./remote-connections";
import { Revocations } from "./revocations";
import { acknowledge, handleMessage, plainAck, type Shard } from "./session-frames";
import { announceParticipant, chatEnteredBy } from "./participants";
import { announcePresence } from "./presence";
import { SessionRecords } from "./session-records";
import { SessionSockets } from "./session-sockets";
import { type Subscription, SubscriptionStore } from "./subscription-store";

/** A user with connections here; `muted`: they muted the channel a notification is about. */
type LiveUser = { id: number; name: string; muted?: boolean };
type Watcher = { conn: string; ws: WebSocket; to: Subscription; head: string };
type SessionShardStub = ReturnType<typeof sessionShardStub>;
const DIALECTS: Dialect[] = ["2020", "current"];

export class SessionShard extends DurableObject<Env> implements Shard {
  private readonly queues = new Map<string, Promise<void>>();
  /** Each connection's frame budget, in memory only (frame-rate.ts). */
  frameRate = new FrameRate(readConfig(this.env).sessionFramesPer10s);
  readonly store: SubscriptionStore;
  readonly sockets: SessionSockets;
  readonly revocations = new Revocations();
  readonly records: SessionRecords;
  /** Current-dialect connections of this shard's users that live on other shards. */
  readonly remotes: RemoteConnections;
  /** `env`, which `DurableObject` keeps protected, for the frame handlers (session-frames.ts). */
  readonly bindings: Env;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.bindings = env;
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("\n", "\n"));
    this.store = new SubscriptionStore(ctx.storage.sql);
    this.remotes = new RemoteConnections(ctx.storage.sql);
    const primary = () => createDb(openSession(env.DB, "first-primary"));
    this.records = new SessionRecords(ctx, primary, this.store, (applicationId, userId, online) =>
      announcePresence(env, primary(), applicationId, userId, online),
    );
    this.sockets = new SessionSockets(ctx, this.store, (connection, deliberate) => {
      const { conn, home } = connection;
      this.frameRate.forget(conn);
      this.records.ended(connection, deliberate);
      const chats = this.store.destinationsOf(conn, "/topic/v1/channels/").flatMap((d) => chatEnteredBy(connection, d) ?? []);
      if (chats.length > 0) ctx.waitUntil(announceParticipant(env, connection, chats, false));
      if (home) ctx.waitUntil(this.detachFrom(home, conn));
    });
    // After a restart (not a hibernation) every socket is gone.
    this.records.gone(this.store.forgetAllBut(this.sockets.liveConnections(), Date.now()));
  }

  waitUntil(promise: Promise<unknown>): void {
    this.ctx.waitUntil(promise);
  }

  /** Accepts a chat-session WebSocket forwarded by the Worker; the user is settled at CONNECT. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.has(FLOOR_HEADER)) return acceptFloorSocket(this.ctx);
    const { dialect, applicationId, userName, shard, authenticated, requireAuth, userAgent } = decodeShardHeaders(request);
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.sockets.accept(server, {
      conn: newConnectionId(dialect),
      applicationId,
      userName,
      userId: authenticated?.id ?? 0,
      ...(authenticated ? { tokenId: authenticated.tokenId } : {}),
      ...(requireAuth ? { requireAuth } : {}),
      shard,
      ...(userAgent ? { userAgent } : {}),
      connected: false,
    });
    return new Response(null, { status: 101, webSocket: client, headers: { "Sec-WebSocket-Protocol": "v12.stomp" } });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const conn = this.sockets.connOf(ws);
    // Only floor sockets have no connection (the benchmark's, with BENCH_FLOORS on).
    if (conn === undefined) return isFloorSocket(this.ctx, ws) ? floorBroadcast(this.ctx, ws, data) : undefined;
    // Current clients ACK every event: half of what they send takes this short way.
    if (dialectOf(conn) === "current" && !this.sockets.isClosed(conn)) {
      const acked = plainAck(data);
      if (acked !== undefined) return acknowledge(this, conn, acked);
    }
    const connection = this.sockets.connectionOf(ws);
    if (!connection || this.sockets.isClosed(connection.conn)) return;
    // 2020 clients send frames as binary messages: a text message is a heart-beat (normally
    // auto-answered). Current clients send frames as text (binary under React Native).
    if (typeof data === "string" && dialectOf(connection.conn) === "2020") return;
    // Chain onto this connection's queue: frames are handled one after another, in order.
    const previous = this.queues.get(connection.conn) ?? Promise.resolve();
    const next = previous.then(() => handleMessage(this, ws, data)).catch((e) => this.sockets.fail(ws, e));
    this.queues.set(connection.conn, next);
    await next;
    if (this.queues.get(connection.conn) === next) this.queues.delete(connection.conn);
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    this.sockets.forget(ws);
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, "closed");
    } catch {
      /* already closed */
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.sockets.forget(ws);
  }

  /**
   * Delivers a channel's events (from its room), in order: what queued up behind the previous
   * call arrives as one batch. Each event is written to the watchers of the topic its rendering
   * names, per dialect: a connection gets its own dialect's rendering, or nothing. `skipped`:
   * what the room dropped for this shard because it fell behind; its watchers are told (OPEN
   * channels) or disconnected to re-fetch (outbox.ts). Who may watch was settled at SUBSCRIBE, and
   * a revocation ends the subscription (`revokeChannel`), so subscribers are exactly who may see
   * the channel. Returns whether any connection here still watches the channel.
   */
  async deliver(channelId: number, events: Delivery[], skipped?: Skipped): Promise<boolean> {
    const watchers = new Map<string, Watcher[]>();
    const watchersOf = (topic: string) => {
      const known = watchers.get(topic);
      if (known) return known;
      const found = this.watchersOf(topic);
      watchers.set(topic, found);
      return found;
    };
    if (skipped) this.fellBehind(channelId, watchersOf(dest.channelMessagesTopic(channelId)), skipped);
    for (const delivery of events) {
      const { origin, ephemeral, signal, exceptUserId, exceptConn, blockedBy } = delivery;
      for (const dialect of DIALECTS) {
        const rendering = dialect === "2020" ? delivery.old : delivery.current;
        if (!rendering) continue;
        const topic = currentDest.channelTopic(channelId, rendering.topic as ChannelTopic);
        const tail = messageTail(rendering.event);
        for (const { conn, ws, to, head } of watchersOf(topic)) {
          if (conn === origin?.conn || conn === exceptConn || dialectOf(conn) !== dialect) continue;
          if (exceptUserId !== undefined || blockedBy) {
            const userId = this.sockets.connectionOf(ws)?.userId;
            if (userId === exceptUserId || (userId !== undefined && blockedBy?.includes(userId))) continue;
          }
          const droppable = signal ? { channelId, ...to, unannounced: true as const } : ephemeral && { channelId, ...to };
          this.sockets.sendEvent(ws, conn, to.sid, head, tail, droppable);
        }
      }
      if (origin) this.deliverToOrigin(channelId, delivery, origin);
    }
    return this.store.watchesChannel(channelId);
  }

  /** The open connections here subscribed to `topic` (one subscription each), with their frame head. */
  private watchersOf(topic: string): Watcher[] {
    return this.store.watchers(topic).flatMap(({ conn, sid }) => {
      const ws = this.sockets.socketOf(conn);
      return ws ? [{ conn, ws, to: { sid, destination: topic }, head: messageHead(sid, topic) }] : [];
    });
  }

  private fellBehind(channelId: number, watchers: Watcher[], skipped: Skipped) {
    for (const { conn, ws, to } of watchers) {
      if (skipped.persisted > 0) this.sockets.outbox.disconnect(conn, ws);
      else this.sockets.outbox.noteDropped(conn, ws, { channelId, ...to }, skipped.ephemeral);
    }
  }

  /** The event to the connection that caused it, with its receipt, on the best carrier it has. */
  private deliverToOrigin(channelId: number, delivery: Delivery, origin: Origin) {
    const ws = this.sockets.socketOf(origin.conn);
    const connection = ws && this.sockets.connectionOf(ws);
    if (!ws || !connection) return;
    const current = dialectOf(origin.conn) === "current";
    const rendering = current ? delivery.current : delivery.old;
    if (!rendering) return;
    const topics = current
      ? [
          currentDest.channelTopic(channelId, rendering.topic as ChannelTopic),
          dest.channelTopic(channelId),
          currentDest.userTopic(connection.userId, "messages"),
        ]
      : [dest.channelMessagesTopic(channelId), dest.channelTopic(channelId), dest.userChannelsTopic(connection.userId)];
    const carrier = this.sockets.carrier(connection, topics);
    const receipt: Record<string, string> = origin.receipt ? { "receipt-id": origin.receipt } : {};
    if (carrier) this.sockets.sendMessage(ws, origin.conn, carrier, rendering.event, receipt);
  }

  /**
   * A notification for these users (their home shard is this one) about a message in a channel:
   * delivered on the notifications topic of each of their connections, here and on the shards
   * their current-dialect connections live on, unless one of them is watching the channel live
   * (then the user already sees the message). `membersReadAt` is when the room read the members:
   * a user whose access to the channel was revoked here after (or about) then is skipped, so a
   * removal the Platform API confirmed is never undone by a notification in flight.
   */
  async notify(channelId: number, users: LiveUser[], notification: Notifications, membersReadAt: number, forwarded = false): Promise<void> {
    const watched = dest.channelMessagesTopic(channelId);
    const events = {
      "2020": JSON.stringify({ type: "me.notification.created", version: "v1", resource: JSON.parse(notification.old) }),
      current: `{"type":"user.notification.created","version":"v1","resource":${notification.current}}`,
      currentMuted: `{"type":"user.notification.created","version":"v1","resource":${notification.currentMuted}}`,
    };
    for (const user of users) {
      if (this.revocations.revokedSince(user.id, channelId, membersReadAt)) continue;
      const connections = this.sockets.connectionsOf(user);
      if (connections.some(([, c]) => this.store.find(c.conn, watched))) continue;
      for (const [ws, c] of connections) {
        const topic = dest.userNotificationsTopic(user.id);
        const sub = this.store.find(c.conn, topic);
        const dialect = dialectOf(c.conn);
        const event = dialect === "2020" ? events["2020"] : user.muted ? events.currentMuted : events.current;
        if (sub) this.sockets.sendMessage(ws, c.conn, sub, event);
      }
    }
    if (!forwarded) {
      await this.forward(users, (shard, remote) => shard.notify(channelId, remote, notification, membersReadAt, true));
    }
  }

  /**
   * Events for users (this is their home shard) on one of their own topics, e.g. a channel they
   * were added to: to each of their connections subscribed to it, here and on other shards.
   */
  async toUsers(users: LiveUser[], event: UserEvent, forwarded = false): Promise<void> {
    for (const user of users) {
      for (const [ws, c] of this.sockets.connectionsOf(user)) {
        const rendering = dialectOf(c.conn) === "current" ? event.current : event.old;
        if (!rendering) continue;
        const sub = this.store.find(c.conn, currentDest.userTopic(user.id, rendering.topic as UserTopic));
        if (sub) this.sockets.sendMessage(ws, c.conn, sub, rendering.event);
      }
    }
    if (!forwarded) await this.forward(users, (shard, remote) => shard.toUsers(remote, event, true));
  }

  /**
   * A current-dialect connection of one of this shard's users lives on another shard: user
   * events reach it from here. Called before its CONNECTED is sent, so nothing is missed after.
   */
  async attachRemote(userId: number, shard: string, conn: string): Promise<void> {
    this.remotes.add(conn, userId, shard);
  }

  async detachRemote(conn: string): Promise<void> {
    this.remotes.remove(conn);
  }

  /** Best effort: a registration left behind only costs its home shard a forwarded call that finds nobody. */
  private async detachFrom(home: string, conn: string) {
    try {
      await retryTransient(() => sessionShardStub(this.bindings, home).detachRemote(conn));
    } catch (e) {
      console.error(JSON.stringify({ level: "error", event: "remote_detach_failed", home, error: String(e) }));
    }
  }

  /** Calls `call` on every other shard holding connections of these users, with their users there. */
  private async forward(users: LiveUser[], call: (shard: SessionShardStub, users: LiveUser[]) => Promise<void>) {
    const byShard = new Map<string, LiveUser[]>();
    for (const user of users) {
      for (const shard of this.remotes.shardsOf(user.id)) byShard.set(shard, [...(byShard.get(shard) ?? []), user]);
    }
    await Promise.all([...byShard].map(([shard, remote]) => retryTransient(() => call(sessionShardStub(this.bindings, shard), remote))));
  }

  /**
   * The user lost access to a channel (removed from a PRIVATE one): every subscription of theirs
   * to its topics ends now, before the Platform API answers, so nothing of it reaches them later.
   */
  async revokeChannel(user: LiveUser, channelId: number, forwarded = false): Promise<void> {
    this.revocations.channelRevoked(user.id, channelId);
    const topics = CHANNEL_TOPICS.map((name) => currentDest.channelTopic(channelId, name));
    for (const [, c] of this.sockets.connectionsOf(user)) {
      // Not awaited: the Platform API waits for this call, and the record is best effort.
      if (this.store.find(c.conn, dest.channelMessagesTopic(channelId))) void this.records.left(c, channelId);
      this.store.removeDestinations(c.conn, topics);
    }
    if (!forwarded) await this.forward([user], (shard) => shard.revokeChannel(user, channelId, true));
  }

  /**
   * Ends the user's live sessions (all of them, or those a revoked challenge token admitted) with
   * an ERROR frame: the user was deleted, or may no longer be admitted.
   */
  async endSessions(user: LiveUser, end: SessionEnd, tokenId?: number, forwarded = false): Promise<void> {
    this.revocations.sessionsEnded();
    for (const [ws, c] of this.sockets.connectionsOf(user)) {
      // The current SDK stops reconnecting only for AccessDeniedError (stompx-current.md §2.7).
      const error = dialectOf(c.conn) === "current" ? "AccessDeniedError" : end.error;
      if (tokenId === undefined || c.tokenId === tokenId) this.sockets.closeWithError(ws, error, end.message, 1008);
    }
    if (!forwarded) await this.forward([user], (shard) => shard.endSessions(user, end, tokenId, true));
  }
}
