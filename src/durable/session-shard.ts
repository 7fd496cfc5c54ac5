/**
 * `SessionShard`: holds the chat-session WebSockets of a slice of one application's users (see
 * `shards.ts`) and speaks StompX to them (shared/spec/stompx-protocol.md).
 *
 * Sockets use the WebSocket Hibernation API: an idle shard is evicted from memory while its
 * sockets stay open, and client heart-beats are answered by the runtime without waking it. So
 * nothing a connection needs may live only in memory: who it is travels in the socket's
 * attachment, and its subscriptions (and the relay ids already answered) are rows in this
 * object's SQLite storage. Memory holds only per-connection frame queues, which keep each
 * connection's frames strictly in arrival order (spec §6) even though handling one awaits D1.
 */
import { DurableObject } from "cloudflare:workers";
import { ChatError } from "../chat/errors";
import { channelRoomStub, userTag, type Origin, type SessionEnd } from "../chat/live";
import { findVisibleChannel } from "../chat/queries/channels";
import { findOrCreateGuest } from "../chat/queries/users";
import { LIMITS, readConfig } from "../config";
import { createDb } from "../db/client";
import { isForeignKeyViolation, isTransientError } from "../db/errors";
import { illFormedTextPath } from "../http/text";
import { performAction } from "../realtime/actions";
import { dest, ERRORS_QUEUE, parseDestination, type Route } from "../realtime/destinations";
import { answerRelay } from "../realtime/relays";
import type { SessionContext } from "../realtime/session-context";
import { FrameError, parseFrames, serializeFrame, type Frame } from "../realtime/stomp";
import { decodeShardHeaders } from "../realtime/upgrade";
import { FrameRate } from "./frame-rate";
import { MAX_ID_CHARS, SubscriptionStore } from "./subscription-store";

/** Who a socket belongs to; kept in its attachment so it survives hibernation. */
interface Connection {
  conn: string;
  applicationId: number;
  userName: string;
  /** 0 until CONNECT found (or created) the user; known from the start for authenticated sessions. */
  userId: number;
  /** The challenge token that admitted an authenticated session: revoking it ends the session. */
  tokenId?: number;
  shard: string;
  connected: boolean;
}

/** A revocation older than this no longer holds back a notification (members are re-read per message). */
const REVOCATION_MEMORY_MS = 60_000;
/** Allowance for the clocks of two Durable Objects on different machines. */
const CLOCK_SKEW_MS = 1_000;

// Clients ping every 5 s; the runtime answers each "\n" with "\n" without waking the object, and
// the client counts those answers as server activity (it expects some within 2 × 10 s).
const CONNECTED_HEADERS = { version: "1.2", "heart-beat": "10000,5000", server: "kitty-edge/1" };

const nowIso = () => new Date().toISOString();

/**
 * An action or relay that failed unexpectedly answers that one call with an internal error
 * (logged here, never detailed to the client) and leaves the session running.
 */
const asChatError = (e: unknown): ChatError => {
  if (e instanceof ChatError) return e;
  // A write racing a deletion (channel or user deleted meanwhile): refused by the database.
  if (isForeignKeyViolation(e)) return new ChatError("ResourceNotFoundError", "A resource this action refers to was deleted meanwhile");
  if (isTransientError(e)) return new ChatError("ServiceUnavailableError", "Temporarily unavailable; try again");
  console.error(JSON.stringify({ level: "error", event: "chat_call_failed", error: e instanceof Error ? e.stack : String(e) }));
  return new ChatError("InternalServerError", "Internal server error");
};

export class SessionShard extends DurableObject<Env> {
  private readonly queues = new Map<string, Promise<void>>();
  /** Connections refused or closed by us: frames still queued for them are dropped. */
  private readonly closed = new Set<string>();
  private messageSeq = 0;
  /** Each connection's frame budget, in memory only (frame-rate.ts). */
  private frameRate = new FrameRate(readConfig(this.env).sessionFramesPer10s);
  private readonly store: SubscriptionStore;
  /**
   * Bumped by every revocation, so a subscription checked against D1 while a revocation ran is
   * checked again before it is registered.
   */
  private revocations = 0;
  /** When each `user:channel` access was revoked here (kept `REVOCATION_MEMORY_MS`). */
  private readonly revokedAt = new Map<string, number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("\n", "\n"));
    this.store = new SubscriptionStore(ctx.storage.sql);
    // After a restart (not a hibernation) every socket is gone.
    this.store.forgetAllBut(new Set(ctx.getWebSockets().flatMap((ws) => this.connectionOf(ws)?.conn ?? [])), Date.now());
  }

  /** Accepts a chat-session WebSocket forwarded by the Worker; the user is settled at CONNECT. */
  override async fetch(request: Request): Promise<Response> {
    const { applicationId, userName, shard, authenticated } = decodeShardHeaders(request);
    const pair = new WebSocketPair();
    const server = pair[1];
    const conn = crypto.randomUUID();
    this.ctx.acceptWebSocket(server, [conn, userTag(userName)]);
    server.serializeAttachment({
      conn,
      applicationId,
      userName,
      userId: authenticated?.id ?? 0,
      ...(authenticated ? { tokenId: authenticated.tokenId } : {}),
      shard,
      connected: false,
    } satisfies Connection);
    return new Response(null, { status: 101, webSocket: pair[0], headers: { "Sec-WebSocket-Protocol": "v12.stomp" } });
  }

  override async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    const connection = this.connectionOf(ws);
    // Heart-beats (normally auto-answered), and frames of a connection we already closed.
    if (!connection || typeof data === "string" || this.closed.has(connection.conn)) return;
    // Chain onto this connection's queue: frames are handled one after another, in order.
    const previous = this.queues.get(connection.conn) ?? Promise.resolve();
    const next = previous.then(() => this.handleMessage(ws, data)).catch((e) => this.fail(ws, e));
    this.queues.set(connection.conn, next);
    await next;
    if (this.queues.get(connection.conn) === next) this.queues.delete(connection.conn);
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    this.forget(ws);
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, "closed");
    } catch {
      /* already closed */
    }
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.forget(ws);
  }

  /**
   * Delivers a channel's `thread.message.created` event (from its room) to this shard's
   * subscribers: once per connection, and to the origin connection with its receipt on the best
   * carrier. Returns whether any connection here still watches the channel.
   */
  async deliver(channelId: number, event: string, origin?: Origin): Promise<boolean> {
    const topic = dest.channelMessagesTopic(channelId);
    const rows = this.store.watchers(topic);
    for (const { conn, sid } of rows) {
      if (conn === origin?.conn) continue;
      const ws = this.socketOf(conn);
      if (ws) this.sendMessage(ws, sid, topic, event);
    }
    if (origin) {
      const ws = this.socketOf(origin.conn);
      const connection = ws && this.connectionOf(ws);
      if (ws && connection) {
        const carrier = this.carrier(connection, [topic, dest.channelTopic(channelId), dest.userChannelsTopic(connection.userId)]);
        if (carrier) this.sendMessage(ws, carrier.sid, carrier.destination, event, origin.receipt ? { "receipt-id": origin.receipt } : {});
      }
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
  async notify(channelId: number, users: { id: number; name: string }[], notification: string, membersReadAt: number): Promise<void> {
    const watched = dest.channelMessagesTopic(channelId);
    const event = JSON.stringify({ type: "me.notification.created", version: "v1", resource: JSON.parse(notification) });
    for (const user of users) {
      const revoked = this.revokedAt.get(`${user.id}:${channelId}`);
      if (revoked !== undefined && revoked >= membersReadAt - CLOCK_SKEW_MS) continue;
      const connections = this.connectionsOf(user);
      if (connections.some(([, c]) => this.store.find(c.conn, watched))) continue;
      const topic = dest.userNotificationsTopic(user.id);
      for (const [ws, c] of connections) {
        const sub = this.store.find(c.conn, topic);
        if (sub) this.sendMessage(ws, sub.sid, topic, event);
      }
    }
  }

  /**
   * The user lost access to a channel (removed from a PRIVATE one): every subscription of theirs
   * to its topics ends now, before the Platform API answers, so nothing of it reaches them later.
   */
  async revokeChannel(user: { id: number; name: string }, channelId: number): Promise<void> {
    this.revocations++;
    const now = Date.now();
    for (const [key, at] of this.revokedAt) if (at < now - REVOCATION_MEMORY_MS) this.revokedAt.delete(key);
    this.revokedAt.set(`${user.id}:${channelId}`, now);
    const topics = [dest.channelTopic(channelId), dest.channelMessagesTopic(channelId)];
    for (const [, c] of this.connectionsOf(user)) this.store.removeDestinations(c.conn, topics);
  }

  /**
   * Ends the user's live sessions (all of them, or those a revoked challenge token admitted) with
   * an ERROR frame: the user was deleted, or may no longer be admitted.
   */
  async endSessions(user: { id: number; name: string }, end: SessionEnd, tokenId?: number): Promise<void> {
    this.revocations++;
    for (const [ws, c] of this.connectionsOf(user)) {
      if (tokenId === undefined || c.tokenId === tokenId) this.closeWithError(ws, end.error, end.message, 1008);
    }
  }

  // ── frames ────────────────────────────────────────────────────────────────────────────────

  private async handleMessage(ws: WebSocket, data: ArrayBuffer) {
    if (data.byteLength > LIMITS.maxFrameBytes * 4) {
      throw new FrameError(`Frame larger than ${LIMITS.maxFrameBytes * 4} bytes`);
    }
    for (const frame of parseFrames(data)) {
      const connection = this.connectionOf(ws);
      if (!connection || this.closed.has(connection.conn)) return;
      await this.handleFrame(ws, connection, frame);
    }
  }

  private async handleFrame(ws: WebSocket, connection: Connection, frame: Frame) {
    if (!connection.connected) {
      // Nothing counts before CONNECT (spec §2.4); the real client never sends anything earlier.
      if (frame.command !== "CONNECT" && frame.command !== "STOMP") return;
      return this.startSession(ws, connection);
    }
    for (const name of ["id", "receipt"] as const) {
      const value = frame.headers[name];
      if (value !== undefined && value.length > MAX_ID_CHARS) throw new FrameError(`The ${name} header is longer than ${MAX_ID_CHARS} characters`);
    }
    const refusal = this.frameRate.check(connection.conn, frame);
    if (refusal) return this.reportError(ws, connection, refusal.error, refusal.correlation);
    switch (frame.command) {
      case "SUBSCRIBE":
        return this.subscribe(ws, connection, frame);
      case "UNSUBSCRIBE":
        if (frame.headers.id) this.store.remove(connection.conn, frame.headers.id);
        return;
      case "SEND":
        return this.send(ws, connection, frame);
      case "DISCONNECT":
        if (frame.headers.receipt) ws.send(serializeFrame("RECEIPT", { "receipt-id": frame.headers.receipt }));
        this.forget(ws);
        ws.close(1000, "disconnected");
        return;
      case "CONNECT":
      case "STOMP":
        throw new FrameError("Already connected");
      default:
        // ACK, NACK and transactions: the SDK never sends them (it subscribes with ack:auto).
        if (!frame.headers.receipt) return;
        return this.reportError(ws, connection, new ChatError("UnsupportedFrameError", `${frame.command} is not supported`), { "receipt-id": frame.headers.receipt });
    }
  }

  /**
   * CONNECT settles who the connection is: an authenticated session's user is known from the
   * upgrade; a guest session's user is found by name, or created now. Only a CONNECT creates a
   * user, so a socket that never sends one costs no storage.
   */
  private async startSession(ws: WebSocket, connection: Connection) {
    const userId =
      connection.userId || (await findOrCreateGuest(this.db(), connection.applicationId, connection.userName)).id;
    if (this.closed.has(connection.conn)) return; // ended (e.g. its token revoked) meanwhile
    ws.serializeAttachment({ ...connection, userId, connected: true } satisfies Connection);
    this.store.expireRelayAnswers(Date.now());
    ws.send(serializeFrame("CONNECTED", CONNECTED_HEADERS));
  }

  private async subscribe(ws: WebSocket, connection: Connection, frame: Frame) {
    const { id: sid, destination, receipt } = frame.headers;
    const correlation = { ...(sid ? { "subscription-id": sid } : {}), ...(receipt ? { "receipt-id": receipt } : {}) };
    if (!sid || destination === undefined) {
      return this.reportError(ws, connection, new ChatError("InvalidRequestError", "SUBSCRIBE needs id and destination"), correlation);
    }
    const route = parseDestination(destination);
    if (!route) {
      return this.reportError(ws, connection, new ChatError("UnknownDestinationError", `No destination ${destination.slice(0, 200)}`), correlation);
    }
    if (route.kind === "action") {
      return this.reportError(ws, connection, new ChatError("UnknownDestinationError", `${destination} is an action: SEND to it`), correlation);
    }
    if (route.kind === "relay") return this.relay(ws, connection, sid, destination, route);

    // Re-subscribing an id replaces that subscription, so it does not count against the bound.
    if (this.store.countOthers(connection.conn, sid) >= LIMITS.maxSubscriptionsPerConnection) {
      return this.reportError(ws, connection, new ChatError("TooManySubscriptionsError", `At most ${LIMITS.maxSubscriptionsPerConnection} subscriptions per session`), correlation);
    }
    // Topics the user may not read still get their RECEIPT (an ERROR would kill the session),
    // but are not registered, so nothing is ever delivered on them.
    if (route.kind === "queue" || (await this.mayWatch(connection, route))) {
      // Registered in the same turn as the check: no revocation can slip in between.
      this.store.add(connection.conn, sid, destination);
      if (route.kind === "topic" && route.name === "channelMessages") {
        await channelRoomStub(this.env, connection.applicationId, route.id).subscribe(connection.shard);
      }
    }
    if (receipt) ws.send(serializeFrame("RECEIPT", { "receipt-id": receipt }));
  }

  /** Whether the user may watch the topic now: checked again if a revocation ran meanwhile. */
  private async mayWatch(connection: Connection, route: Extract<Route, { kind: "topic" }>): Promise<boolean> {
    if (route.name === "userChannels" || route.name === "userNotifications") return route.id === connection.userId;
    for (;;) {
      const before = this.revocations;
      const visible = Boolean(await findVisibleChannel(this.db(), connection.applicationId, connection.userId, route.id));
      if (this.revocations === before) return visible;
    }
  }

  private async relay(ws: WebSocket, connection: Connection, sid: string, destination: string, route: Extract<Route, { kind: "relay" }>) {
    // The SDK re-subscribes every relay with its old id after a reconnect; answering again would
    // re-run its callbacks (for `me`: a second set of topic subscriptions). Answer each id once.
    if (this.store.wasAnswered(connection.userId, sid, connection.conn, Date.now())) return;
    let resource: unknown;
    try {
      resource = await answerRelay(this.context(connection), route);
    } catch (e) {
      return this.reportError(ws, connection, asChatError(e), { "subscription-id": sid });
    }
    this.sendMessage(ws, sid, destination, JSON.stringify({ version: "v1", resource }));
    this.store.rememberAnswer(connection.userId, sid, connection.conn);
  }

  private async send(ws: WebSocket, connection: Connection, frame: Frame) {
    const { destination, receipt } = frame.headers;
    const correlation: Record<string, string> = receipt ? { "receipt-id": receipt } : {};
    const route = destination === undefined ? undefined : parseDestination(destination);
    if (!route || route.kind !== "action") {
      return this.reportError(ws, connection, new ChatError("UnknownDestinationError", `No action at ${String(destination).slice(0, 200)}`), correlation);
    }
    if (frame.body.length > LIMITS.maxFrameBytes) {
      return this.reportError(ws, connection, new ChatError("PayloadTooLargeError", `Action bodies are limited to ${LIMITS.maxFrameBytes} characters`), correlation);
    }
    let body: unknown;
    try {
      body = frame.body === "" ? {} : JSON.parse(frame.body);
    } catch {
      return this.reportError(ws, connection, new ChatError("InvalidRequestError", "The body is not valid JSON"), correlation);
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return this.reportError(ws, connection, new ChatError("InvalidRequestError", "The body must be a JSON object"), correlation);
    }
    // Text is stored exactly as sent or refused: D1 would turn a lone surrogate into U+FFFD.
    const illFormed = illFormedTextPath(body);
    if (illFormed !== undefined) {
      return this.reportError(ws, connection, new ChatError("InvalidRequestError", `${illFormed || "body"} must be well-formed Unicode text (no lone surrogates)`), correlation);
    }
    let result;
    try {
      result = await performAction(this.context(connection, receipt), route, body as Record<string, unknown>);
    } catch (e) {
      return this.reportError(ws, connection, asChatError(e), correlation);
    }
    if (!result) return;
    const carrier = this.carrier(connection, result.carriers);
    if (carrier) {
      this.sendMessage(ws, carrier.sid, carrier.destination, JSON.stringify({ type: result.type, version: "v1", resource: result.resource }), correlation);
    }
  }

  // ── helpers ───────────────────────────────────────────────────────────────────────────────

  private db() {
    return createDb(this.env.DB);
  }

  private context(connection: Connection, receipt?: string): SessionContext {
    return {
      db: this.db(),
      env: this.env,
      applicationId: connection.applicationId,
      userId: connection.userId,
      tokenId: connection.tokenId,
      origin: { shard: connection.shard, conn: connection.conn, ...(receipt ? { receipt } : {}) },
    };
  }

  /** The connection's subscription to carry a result: the first preferred topic, else any topic. */
  private carrier(connection: Connection, preferred: string[]): { sid: string; destination: string } | undefined {
    for (const destination of preferred) {
      const found = this.store.find(connection.conn, destination);
      if (found) return found;
    }
    return this.store.anyTopic(connection.conn);
  }

  private sendMessage(ws: WebSocket, sid: string, destination: string, body: string, extra: Record<string, string> = {}) {
    const headers = {
      subscription: sid,
      destination,
      "message-id": `${this.connectionOf(ws)?.conn ?? "x"}-${++this.messageSeq}`,
      "content-type": "application/json",
      ...extra,
    };
    try {
      ws.send(serializeFrame("MESSAGE", headers, body));
    } catch {
      /* the socket closed meanwhile; its close handler cleans up */
    }
  }

  /**
   * A StompX error on the connection's errors queue, correlated to what failed. Without a
   * correlation header the SDK would fail every pending action, so uncorrelated errors are dropped.
   */
  private reportError(ws: WebSocket, connection: Connection, error: ChatError, correlation: Record<string, string>) {
    if (!correlation["receipt-id"] && !correlation["subscription-id"]) return;
    const queue = this.store.find(connection.conn, ERRORS_QUEUE);
    if (!queue) return;
    const body = JSON.stringify({ error: error.error, message: error.message, time: nowIso(), timestamp: nowIso() });
    this.sendMessage(ws, queue.sid, ERRORS_QUEUE, body, correlation);
  }

  /**
   * A frame that cannot be parsed, or a failure we did not expect: the STOMP answer is an
   * ERROR frame and closing the connection; the client reconnects and re-subscribes. Unexpected
   * failures are logged, never shown.
   */
  private fail(ws: WebSocket, e: unknown) {
    const known = e instanceof FrameError;
    if (!known) console.error(JSON.stringify({ level: "error", event: "session_failed", error: e instanceof Error ? e.stack : String(e) }));
    if (known) this.closeWithError(ws, "InvalidFrameError", e.message, 1002);
    else this.closeWithError(ws, "InternalServerError", "Internal server error", 1011);
  }

  /** The STOMP way to end a connection: an ERROR frame, then the close. */
  private closeWithError(ws: WebSocket, error: string, message: string, code: number) {
    try {
      ws.send(serializeFrame("ERROR", { message: error, "content-type": "application/json" }, JSON.stringify({ error, message, time: nowIso() })));
      ws.close(code, error);
    } catch {
      /* already closed */
    }
    this.forget(ws);
  }

  private forget(ws: WebSocket) {
    const connection = this.connectionOf(ws);
    if (!connection) return;
    this.closed.add(connection.conn);
    this.frameRate.forget(connection.conn);
    // Bounded: only frames already in flight can still name a closed connection.
    if (this.closed.size > 10_000) this.closed.delete(this.closed.values().next().value!);
    this.store.forgetConnection(connection.conn, Date.now());
  }

  /** The live sockets of this user here (sockets of other names sharing the tag are skipped). */
  private connectionsOf(user: { id: number; name: string }): [WebSocket, Connection][] {
    return this.ctx.getWebSockets(userTag(user.name)).flatMap((ws) => {
      const c = this.connectionOf(ws);
      return c && c.userId === user.id && !this.closed.has(c.conn) ? [[ws, c] as [WebSocket, Connection]] : [];
    });
  }

  private connectionOf(ws: WebSocket): Connection | undefined {
    return (ws.deserializeAttachment() as Connection | null) ?? undefined;
  }

  private socketOf(conn: string): WebSocket | undefined {
    return this.ctx.getWebSockets(conn)[0];
  }
}
