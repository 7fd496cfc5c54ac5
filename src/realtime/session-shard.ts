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
import { LIMITS, readConfig } from "../config";
import { createDb } from "../db/client";
import { isForeignKeyViolation } from "../db/errors";
import { channelRoomStub, type Origin } from "../durable/channel-room";
import { answerRelay, ChatError, performAction, type ChatContext } from "./chat.handlers";
import { findVisibleChannel } from "./chat.queries";
import { dest, ERRORS_QUEUE, parseDestination, type Route } from "./destinations";
import { FrameRate } from "./frame-rate";
import { FrameError, parseFrames, serializeFrame, type Frame } from "./stomp";

/** Who a socket belongs to; kept in its attachment so it survives hibernation. */
interface Connection {
  conn: string;
  applicationId: number;
  userId: number;
  shard: string;
  connected: boolean;
}

/** Headers the Worker sets on the upgrade it forwards here (never taken from clients). */
export const SHARD_HEADERS = { applicationId: "X-Kitty-Application", userId: "X-Kitty-User", shard: "X-Kitty-Shard" };

// Clients ping every 5 s; the runtime answers each "\n" with "\n" without waking the object, and
// the client counts those answers as server activity (it expects some within 2 × 10 s).
const CONNECTED_HEADERS = { version: "1.2", "heart-beat": "10000,5000", server: "kitty-edge/1" };

const RELAY_MEMORY_MS = 24 * 60 * 60 * 1000;

const nowIso = () => new Date().toISOString();

/**
 * An action or relay that failed unexpectedly answers that one call with an internal error
 * (logged here, never detailed to the client) and leaves the session running.
 */
const asChatError = (e: unknown): ChatError => {
  if (e instanceof ChatError) return e;
  // A write racing a deletion (channel or user deleted meanwhile): refused by the database.
  if (isForeignKeyViolation(e)) return new ChatError("ResourceNotFoundError", "A resource this action refers to was deleted meanwhile");
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

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("\n", "\n"));
    const sql = ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS subscriptions (
      conn TEXT NOT NULL, sid TEXT NOT NULL, destination TEXT NOT NULL, PRIMARY KEY (conn, sid))`);
    sql.exec("CREATE INDEX IF NOT EXISTS subscriptions_destination ON subscriptions (destination, conn)");
    sql.exec(`CREATE TABLE IF NOT EXISTS answered_relays (
      user_id INTEGER NOT NULL, sid TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (user_id, sid))`);
    // After a restart (not a hibernation) every socket is gone: forget their subscriptions.
    const live = new Set(ctx.getWebSockets().map((ws) => this.connectionOf(ws)?.conn));
    for (const { conn } of sql.exec<{ conn: string }>("SELECT DISTINCT conn FROM subscriptions").toArray()) {
      if (!live.has(conn)) sql.exec("DELETE FROM subscriptions WHERE conn = ?", conn);
    }
    sql.exec("DELETE FROM answered_relays WHERE at < ?", Date.now() - RELAY_MEMORY_MS);
  }

  /** Accepts a chat-session WebSocket forwarded by the Worker for an authenticated user. */
  override async fetch(request: Request): Promise<Response> {
    const applicationId = Number(request.headers.get(SHARD_HEADERS.applicationId));
    const userId = Number(request.headers.get(SHARD_HEADERS.userId));
    const shard = request.headers.get(SHARD_HEADERS.shard) ?? "";
    const pair = new WebSocketPair();
    const server = pair[1];
    const conn = crypto.randomUUID();
    this.ctx.acceptWebSocket(server, [conn, `user:${userId}`]);
    server.serializeAttachment({ conn, applicationId, userId, shard, connected: false } satisfies Connection);
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
    const rows = this.ctx.storage.sql
      .exec<{ conn: string; sid: string }>(
        "SELECT conn, MIN(sid) AS sid FROM subscriptions WHERE destination = ? GROUP BY conn",
        topic,
      )
      .toArray();
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
   * channel live (then the user already sees the message).
   */
  async notify(channelId: number, userIds: number[], notification: string): Promise<void> {
    const watched = dest.channelMessagesTopic(channelId);
    const event = JSON.stringify({ type: "me.notification.created", version: "v1", resource: JSON.parse(notification) });
    for (const userId of userIds) {
      const sockets = this.ctx.getWebSockets(`user:${userId}`);
      const conns = sockets.map((ws) => this.connectionOf(ws)?.conn).filter((c): c is string => Boolean(c));
      if (conns.length === 0) continue;
      const placeholders = conns.map(() => "?").join(", ");
      const live = this.ctx.storage.sql
        .exec(`SELECT 1 FROM subscriptions WHERE destination = ? AND conn IN (${placeholders}) LIMIT 1`, watched, ...conns)
        .toArray();
      if (live.length > 0) continue;
      const topic = dest.userNotificationsTopic(userId);
      for (const ws of sockets) {
        const conn = this.connectionOf(ws)?.conn;
        const sub = this.ctx.storage.sql
          .exec<{ sid: string }>("SELECT sid FROM subscriptions WHERE conn = ? AND destination = ? LIMIT 1", conn ?? "", topic)
          .toArray()[0];
        if (sub) this.sendMessage(ws, sub.sid, topic, event);
      }
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
      ws.serializeAttachment({ ...connection, connected: true } satisfies Connection);
      ws.send(serializeFrame("CONNECTED", CONNECTED_HEADERS));
      return;
    }
    const refusal = this.frameRate.check(connection.conn, frame);
    if (refusal) return this.reportError(ws, connection, refusal.error, refusal.correlation);
    switch (frame.command) {
      case "SUBSCRIBE":
        return this.subscribe(ws, connection, frame);
      case "UNSUBSCRIBE":
        if (frame.headers.id) this.ctx.storage.sql.exec("DELETE FROM subscriptions WHERE conn = ? AND sid = ?", connection.conn, frame.headers.id);
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
    const count = this.ctx.storage.sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM subscriptions WHERE conn = ? AND sid <> ?", connection.conn, sid)
      .one().n;
    if (count >= LIMITS.maxSubscriptionsPerConnection) {
      return this.reportError(ws, connection, new ChatError("TooManySubscriptionsError", `At most ${LIMITS.maxSubscriptionsPerConnection} subscriptions per session`), correlation);
    }
    // Topics the user may not read still get their RECEIPT (an ERROR would kill the session),
    // but are not registered, so nothing is ever delivered on them.
    if (route.kind === "queue" || (await this.mayWatch(connection, route))) {
      this.ctx.storage.sql.exec(
        "INSERT OR REPLACE INTO subscriptions (conn, sid, destination) VALUES (?, ?, ?)",
        connection.conn,
        sid,
        destination,
      );
      if (route.kind === "topic" && route.name === "channelMessages") {
        await channelRoomStub(this.env, connection.applicationId, route.id).subscribe(connection.shard);
      }
    }
    if (receipt) ws.send(serializeFrame("RECEIPT", { "receipt-id": receipt }));
  }

  private async mayWatch(connection: Connection, route: Extract<Route, { kind: "topic" }>) {
    if (route.name === "userChannels" || route.name === "userNotifications") return route.id === connection.userId;
    return Boolean(await findVisibleChannel(this.db(), connection.applicationId, connection.userId, route.id));
  }

  private async relay(ws: WebSocket, connection: Connection, sid: string, destination: string, route: Extract<Route, { kind: "relay" }>) {
    const sql = this.ctx.storage.sql;
    // The SDK re-subscribes every relay with its old id after a reconnect; answering again would
    // re-run its callbacks (for `me`: a second set of topic subscriptions). Answer each id once.
    const answered = sql.exec("SELECT 1 FROM answered_relays WHERE user_id = ? AND sid = ?", connection.userId, sid).toArray();
    if (answered.length > 0) return;
    let resource: unknown;
    try {
      resource = await answerRelay(this.context(connection), route);
    } catch (e) {
      return this.reportError(ws, connection, asChatError(e), { "subscription-id": sid });
    }
    this.sendMessage(ws, sid, destination, JSON.stringify({ version: "v1", resource }));
    sql.exec("INSERT OR REPLACE INTO answered_relays (user_id, sid, at) VALUES (?, ?, ?)", connection.userId, sid, Date.now());
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

  private context(connection: Connection, receipt?: string): ChatContext {
    return {
      db: this.db(),
      env: this.env,
      applicationId: connection.applicationId,
      userId: connection.userId,
      origin: { shard: connection.shard, conn: connection.conn, ...(receipt ? { receipt } : {}) },
    };
  }

  /** The connection's subscription to carry a result: the first preferred topic, else any topic. */
  private carrier(connection: Connection, preferred: string[]): { sid: string; destination: string } | undefined {
    const sql = this.ctx.storage.sql;
    for (const destination of preferred) {
      const row = sql.exec<{ sid: string }>("SELECT sid FROM subscriptions WHERE conn = ? AND destination = ? LIMIT 1", connection.conn, destination).toArray()[0];
      if (row) return { sid: row.sid, destination };
    }
    return sql
      .exec<{ sid: string; destination: string }>(
        "SELECT sid, destination FROM subscriptions WHERE conn = ? AND destination LIKE '/topic/%' LIMIT 1",
        connection.conn,
      )
      .toArray()[0];
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
    const queue = this.ctx.storage.sql
      .exec<{ sid: string }>("SELECT sid FROM subscriptions WHERE conn = ? AND destination = ? LIMIT 1", connection.conn, ERRORS_QUEUE)
      .toArray()[0];
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
    const error = known ? "InvalidFrameError" : "InternalServerError";
    const message = known ? e.message : "Internal server error";
    try {
      ws.send(serializeFrame("ERROR", { message: error, "content-type": "application/json" }, JSON.stringify({ error, message, time: nowIso() })));
      ws.close(known ? 1002 : 1011, error);
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
    this.ctx.storage.sql.exec("DELETE FROM subscriptions WHERE conn = ?", connection.conn);
  }

  private connectionOf(ws: WebSocket): Connection | undefined {
    return (ws.deserializeAttachment() as Connection | null) ?? undefined;
  }

  private socketOf(conn: string): WebSocket | undefined {
    return this.ctx.getWebSockets(conn)[0];
  }
}
