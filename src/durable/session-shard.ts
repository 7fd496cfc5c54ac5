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
import type { Delivery, Origin, SessionEnd } from "../chat/live";
import { readConfig } from "../config";
import { dest } from "../realtime/destinations";
import { decodeShardHeaders } from "../realtime/upgrade";
import { FrameRate } from "./frame-rate";
import { Revocations } from "./revocations";
import { handleMessage, type Shard } from "./session-frames";
import { SessionSockets } from "./session-sockets";
import { SubscriptionStore } from "./subscription-store";

type LiveUser = { id: number; name: string };

export class SessionShard extends DurableObject<Env> implements Shard {
  private readonly queues = new Map<string, Promise<void>>();
  /** Each connection's frame budget, in memory only (frame-rate.ts). */
  frameRate = new FrameRate(readConfig(this.env).sessionFramesPer10s);
  readonly store: SubscriptionStore;
  readonly sockets: SessionSockets;
  readonly revocations = new Revocations();
  /** `env`, which `DurableObject` keeps protected, for the frame handlers (session-frames.ts). */
  readonly bindings: Env;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.bindings = env;
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("\n", "\n"));
    this.store = new SubscriptionStore(ctx.storage.sql);
    this.sockets = new SessionSockets(ctx, this.store, (conn) => this.frameRate.forget(conn));
    // After a restart (not a hibernation) every socket is gone.
    this.store.forgetAllBut(this.sockets.liveConnections(), Date.now());
  }

  /** Accepts a chat-session WebSocket forwarded by the Worker; the user is settled at CONNECT. */
  override async fetch(request: Request): Promise<Response> {
    const { applicationId, userName, shard, authenticated } = decodeShardHeaders(request);
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.sockets.accept(server, {
      conn: crypto.randomUUID(),
      applicationId,
      userName,
      userId: authenticated?.id ?? 0,
      ...(authenticated ? { tokenId: authenticated.tokenId } : {}),
      shard,
      connected: false,
    });
    return new Response(null, { status: 101, webSocket: client, headers: { "Sec-WebSocket-Protocol": "v12.stomp" } });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const connection = this.sockets.connectionOf(ws);
    // Heart-beats (normally auto-answered), and frames of a connection we already closed.
    if (!connection || typeof data === "string" || this.sockets.isClosed(connection.conn)) return;
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
   * call arrives as one batch. Returns whether any connection here still watches the channel.
   */
  async deliver(channelId: number, events: Delivery[]): Promise<boolean> {
    let watched = false;
    for (const { event, origin } of events) watched = this.deliverOne(channelId, event, origin);
    return watched;
  }

  /**
   * One `thread.message.created` event to this shard's subscribers: once per connection, and to
   * the origin connection with its receipt on the best carrier.
   */
  private deliverOne(channelId: number, event: string, origin?: Origin): boolean {
    const topic = dest.channelMessagesTopic(channelId);
    const rows = this.store.watchers(topic);
    for (const { conn, sid } of rows) {
      if (conn === origin?.conn) continue;
      const ws = this.sockets.socketOf(conn);
      if (ws) this.sockets.sendMessage(ws, sid, topic, event);
    }
    const ws = origin && this.sockets.socketOf(origin.conn);
    const connection = ws && this.sockets.connectionOf(ws);
    if (ws && connection) {
      const carrier = this.sockets.carrier(connection, [topic, dest.channelTopic(channelId), dest.userChannelsTopic(connection.userId)]);
      if (carrier)
        this.sockets.sendMessage(ws, carrier.sid, carrier.destination, event, origin.receipt ? { "receipt-id": origin.receipt } : {});
    }
    return rows.length > 0;
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
        if (sub) this.sockets.sendMessage(ws, sub.sid, topic, event);
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
    for (const [, c] of this.sockets.connectionsOf(user)) this.store.removeDestinations(c.conn, topics);
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
