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
import type { Delivery, Origin, SessionEnd, Skipped } from "../chat/live";
import { readConfig } from "../config";
import { createDb, openSession } from "../db/client";
import { dest } from "../realtime/destinations";
import { messageHead, messageTail } from "../realtime/stomp";
import { decodeShardHeaders } from "../realtime/upgrade";
import { acceptFloorSocket, FLOOR_HEADER, floorBroadcast, isFloorSocket } from "./fan-out-floor";
import { FrameRate } from "./frame-rate";
import { Revocations } from "./revocations";
import { handleMessage, type Shard } from "./session-frames";
import { SessionRecords } from "./session-records";
import { SessionSockets } from "./session-sockets";
import { type Subscription, SubscriptionStore } from "./subscription-store";

type LiveUser = { id: number; name: string };

export class SessionShard extends DurableObject<Env> implements Shard {
  private readonly queues = new Map<string, Promise<void>>();
  /** Each connection's frame budget, in memory only (frame-rate.ts). */
  frameRate = new FrameRate(readConfig(this.env).sessionFramesPer10s);
  readonly store: SubscriptionStore;
  readonly sockets: SessionSockets;
  readonly revocations = new Revocations();
  readonly records: SessionRecords;
  /** `env`, which `DurableObject` keeps protected, for the frame handlers (session-frames.ts). */
  readonly bindings: Env;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.bindings = env;
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("\n", "\n"));
    this.store = new SubscriptionStore(ctx.storage.sql);
    this.records = new SessionRecords(ctx, () => createDb(openSession(env.DB, "first-primary")), this.store);
    this.sockets = new SessionSockets(ctx, this.store, (conn) => {
      this.frameRate.forget(conn);
      this.records.ended(conn);
    });
    // After a restart (not a hibernation) every socket is gone.
    this.records.gone(this.store.forgetAllBut(this.sockets.liveConnections(), Date.now()));
  }

  /** Accepts a chat-session WebSocket forwarded by the Worker; the user is settled at CONNECT. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.has(FLOOR_HEADER)) return acceptFloorSocket(this.ctx);
    const { applicationId, userName, shard, authenticated, userAgent } = decodeShardHeaders(request);
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.sockets.accept(server, {
      conn: crypto.randomUUID(),
      applicationId,
      userName,
      userId: authenticated?.id ?? 0,
      ...(authenticated ? { tokenId: authenticated.tokenId } : {}),
      shard,
      ...(userAgent ? { userAgent } : {}),
      connected: false,
    });
    return new Response(null, { status: 101, webSocket: client, headers: { "Sec-WebSocket-Protocol": "v12.stomp" } });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const connection = this.sockets.connectionOf(ws);
    if (!connection) return isFloorSocket(this.ctx, ws) ? floorBroadcast(this.ctx, ws, data) : undefined;
    // Heart-beats (normally auto-answered), and frames of a connection we already closed.
    if (typeof data === "string" || this.sockets.isClosed(connection.conn)) return;
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
   * call arrives as one batch. Messages go to the messages topic's watchers, signals (channel
   * events, keystrokes) to the self topic's. `skipped`: what the room dropped for this shard
   * because it fell behind; its watchers are told (OPEN channels) or disconnected to re-fetch
   * (outbox.ts). Who may watch was settled at SUBSCRIBE, and a revocation ends the subscription
   * (`revokeChannel`), so subscribers are exactly who may see the channel. Returns whether any
   * connection here still watches the channel.
   */
  async deliver(channelId: number, events: Delivery[], skipped?: Skipped): Promise<boolean> {
    const watchers = this.watchersOf(dest.channelMessagesTopic(channelId));
    const selfWatchers = this.watchersOf(dest.channelTopic(channelId));
    if (skipped) this.fellBehind(channelId, watchers, skipped);
    for (const { event, origin, ephemeral, signal, exceptUserId } of events) {
      const tail = messageTail(event);
      if (signal) {
        for (const { conn, ws, to, head } of selfWatchers) {
          if (exceptUserId !== undefined && this.sockets.connectionOf(ws)?.userId === exceptUserId) continue;
          this.sockets.sendEvent(ws, conn, head, tail, { channelId, ...to, unannounced: true });
        }
        continue;
      }
      for (const { conn, ws, to, head } of watchers) {
        if (conn !== origin?.conn) this.sockets.sendEvent(ws, conn, head, tail, ephemeral && { channelId, ...to });
      }
      if (origin) this.deliverToOrigin(channelId, event, origin);
    }
    return watchers.length > 0 || selfWatchers.length > 0;
  }

  /** The open connections here subscribed to `topic` (one subscription each), with their frame head. */
  private watchersOf(topic: string) {
    return this.store.watchers(topic).flatMap(({ conn, sid }) => {
      const ws = this.sockets.socketOf(conn);
      return ws ? [{ conn, ws, to: { sid, destination: topic }, head: messageHead(sid, topic) }] : [];
    });
  }

  private fellBehind(channelId: number, watchers: { conn: string; ws: WebSocket; to: Subscription }[], skipped: Skipped) {
    for (const { conn, ws, to } of watchers) {
      if (skipped.persisted > 0) this.sockets.outbox.disconnect(conn, ws);
      else this.sockets.outbox.noteDropped(conn, ws, { channelId, ...to }, skipped.ephemeral);
    }
  }

  /** The event to the connection that caused it, with its receipt, on the best carrier it has. */
  private deliverToOrigin(channelId: number, event: string, origin: Origin) {
    const ws = this.sockets.socketOf(origin.conn);
    const connection = ws && this.sockets.connectionOf(ws);
    if (!ws || !connection) return;
    const topics = [dest.channelMessagesTopic(channelId), dest.channelTopic(channelId), dest.userChannelsTopic(connection.userId)];
    const carrier = this.sockets.carrier(connection, topics);
    if (carrier) this.sockets.sendMessage(ws, origin.conn, carrier, event, origin.receipt ? { "receipt-id": origin.receipt } : {});
  }

  /**
   * A notification for these users (all in this shard) about a message in a channel: delivered
   * on the notifications topic of each of their connections, unless one of them is watching the
   * channel live (then the user already sees the message). `membersReadAt` is when the room read
   * the members: a user whose access to the channel was revoked here after (or about) then is
   * skipped, so a removal the Platform API confirmed is never undone by a notification in flight.
   */
  async notify(channelId: number, users: LiveUser[], notification: string, membersReadAt: number): Promise<void> {
    const watched = dest.channelMessagesTopic(channelId);
    const event = JSON.stringify({ type: "me.notification.created", version: "v1", resource: JSON.parse(notification) });
    for (const user of users) {
      if (this.revocations.revokedSince(user.id, channelId, membersReadAt)) continue;
      const connections = this.sockets.connectionsOf(user);
      if (connections.some(([, c]) => this.store.find(c.conn, watched))) continue;
      const topic = dest.userNotificationsTopic(user.id);
      for (const [ws, c] of connections) {
        const sub = this.store.find(c.conn, topic);
        if (sub) this.sockets.sendMessage(ws, c.conn, sub, event);
      }
    }
  }

  /**
   * The user lost access to a channel (removed from a PRIVATE one): every subscription of theirs
   * to its topics ends now, before the Platform API answers, so nothing of it reaches them later.
   */
  async revokeChannel(user: LiveUser, channelId: number): Promise<void> {
    this.revocations.channelRevoked(user.id, channelId);
    const topics = [dest.channelTopic(channelId), dest.channelMessagesTopic(channelId)];
    for (const [, c] of this.sockets.connectionsOf(user)) {
      // Not awaited: the Platform API waits for this call, and the record is best effort.
      if (this.store.find(c.conn, dest.channelMessagesTopic(channelId))) void this.records.left(c, channelId);
      this.store.removeDestinations(c.conn, topics);
    }
  }

  /**
   * Ends the user's live sessions (all of them, or those a revoked challenge token admitted) with
   * an ERROR frame: the user was deleted, or may no longer be admitted.
   */
  async endSessions(user: LiveUser, end: SessionEnd, tokenId?: number): Promise<void> {
    this.revocations.sessionsEnded();
    for (const [ws, c] of this.sockets.connectionsOf(user)) {
      if (tokenId === undefined || c.tokenId === tokenId) this.sockets.closeWithError(ws, end.error, end.message, 1008);
    }
  }
}
