/**
 * A session shard's sockets and everything written to them: who each socket is (its attachment,
 * which survives hibernation), MESSAGE frames on a subscription, StompX errors on the errors
 * queue, and the ERROR frame that ends a connection.
 */
import { ChatError } from "../chat/errors";
import { userTag } from "../chat/live";
import { isForeignKeyViolation, isTransientError } from "../db/errors";
import { ERRORS_QUEUE } from "../realtime/destinations";
import { dialectOf } from "../realtime/dialect";
import { FrameError, serializeFrame } from "../realtime/stomp";
import { type Droppable, Outbox } from "./outbox";
import type { Subscription, SubscriptionStore } from "./subscription-store";

/** Who a socket belongs to; kept in its attachment so it survives hibernation. */
export interface Connection {
  conn: string;
  applicationId: number;
  userName: string;
  /** 0 until CONNECT found (or created) the user; known from the start for authenticated sessions. */
  userId: number;
  /** The challenge token that admitted an authenticated session: revoking it ends the session. */
  tokenId?: number;
  /** Current dialect, before CONNECT: the application requires a challenge token in CONNECT. */
  requireAuth?: boolean;
  /** Current dialect: the SDK session's id (CONNECTED `session`), kept across its reconnects. */
  sessionId?: string;
  /** Current dialect: the user's home shard, when not this one (it forwards the user's events here). */
  home?: string;
  shard: string;
  /** The upgrade request's `User-Agent`, shortened (realtime/upgrade.ts), for the user session. */
  userAgent?: string;
  connected: boolean;
  /**
   * The D1 bookmark of the connection's last frame: the next frame's reads start from it, so the
   * user never sees their own action undone by a lagging replica (db/client.ts).
   */
  bookmark?: string;
}

/** The tag of every current-dialect socket of a shard (its user is unknown when it is accepted). */
const CURRENT_TAG = "current";

const withoutUndefined = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/** Headers that tie an answer to what the client asked (`receipt-id`, `subscription-id`). */
export type Correlation = Record<string, string>;

const nowIso = () => new Date().toISOString();

/**
 * An action or relay that failed unexpectedly answers that one call with an internal error
 * (logged here, never detailed to the client) and leaves the session running.
 */
export const asChatError = (e: unknown): ChatError => {
  if (e instanceof ChatError) return e;
  // A write racing a deletion (channel or user deleted meanwhile): refused by the database.
  if (isForeignKeyViolation(e)) return new ChatError("ResourceNotFoundError", "A resource this action refers to was deleted meanwhile");
  if (isTransientError(e)) return new ChatError("ServiceUnavailableError", "Temporarily unavailable; try again");
  console.error(JSON.stringify({ level: "error", event: "chat_call_failed", error: e instanceof Error ? e.stack : String(e) }));
  return new ChatError("InternalServerError", "Internal server error");
};

/** The event that tells a watcher of an OPEN channel that some of its messages were dropped. */
export const DROPPED_EVENT = "channel.messages.dropped";

export class SessionSockets {
  /** Connections refused or closed by us: frames still queued for them are dropped. */
  private readonly closed = new Set<string>();
  private messageSeq = 0;
  /** Frames of connections that read slower than events arrive (outbox.ts). */
  readonly outbox: Outbox;
  /** Open sockets by connection id, filled as they are looked up (memory is lost on hibernation). */
  private readonly sockets = new Map<string, WebSocket>();
  /** Connection ids by socket (`connOf`). */
  private readonly conns = new WeakMap<WebSocket, string>();

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly store: SubscriptionStore,
    /** Called once a connection is closed, to drop what is kept for it. */
    private readonly onForget: (connection: Connection, deliberate: boolean) => void,
  ) {
    this.outbox = new Outbox({
      socketOf: (conn) => this.socketOf(conn),
      dropNotice: (conn, to, count) =>
        this.messageFrame(conn, to, JSON.stringify({ type: DROPPED_EVENT, version: "v1", resource: { channelId: to.channelId, count } })),
      slowConsumer: (ws) =>
        this.closeWithError(
          ws,
          "SlowConsumerError",
          "This session fell too far behind its events; reconnect and fetch what you missed",
          1013,
        ),
    });
  }

  /**
   * Accepts a socket for this connection, tagged by its id and its user's name; a current-dialect
   * socket, whose user is named only later (tags are fixed now), by `CURRENT_TAG` instead.
   */
  accept(server: WebSocket, connection: Connection) {
    const byUser = connection.userName === "" ? CURRENT_TAG : userTag(connection.userName);
    this.ctx.acceptWebSocket(server, [connection.conn, byUser]);
    server.serializeAttachment(connection);
  }

  /** The connection now has a session: its user (and, current dialect, its name and session id) is settled. */
  connected(
    ws: WebSocket,
    connection: Connection,
    settled: Pick<Connection, "userId"> & Partial<Pick<Connection, "userName" | "tokenId" | "sessionId" | "home">>,
    bookmark: string | null,
  ) {
    const { requireAuth: _settled, ...rest } = connection;
    ws.serializeAttachment({
      ...rest,
      ...withoutUndefined(settled),
      connected: true,
      ...(bookmark ? { bookmark } : {}),
    } satisfies Connection);
  }

  /** Keeps the bookmark a frame's D1 session ended at, when it moved. */
  rememberBookmark(ws: WebSocket, session: D1DatabaseSession) {
    const bookmark = session.getBookmark();
    const connection = this.connectionOf(ws);
    if (bookmark && connection && connection.bookmark !== bookmark)
      ws.serializeAttachment({ ...connection, bookmark } satisfies Connection);
  }

  connectionOf(ws: WebSocket): Connection | undefined {
    const connection = (ws.deserializeAttachment() as Connection | null) ?? undefined;
    if (connection) this.conns.set(ws, connection.conn);
    return connection;
  }

  /**
   * The socket's connection id without reading its attachment (a structured-clone copy) each
   * time: an id never changes, and current clients send an ACK per event. Remembered per socket
   * object while the object is awake; after a hibernation the attachment is read once again.
   */
  connOf(ws: WebSocket): string | undefined {
    return this.conns.get(ws) ?? this.connectionOf(ws)?.conn;
  }

  /** Live connections: every socket's that is still open. */
  liveConnections(): Set<string> {
    return new Set(this.ctx.getWebSockets().flatMap((ws) => this.connectionOf(ws)?.conn ?? []));
  }

  isClosed(conn: string) {
    return this.closed.has(conn);
  }

  socketOf(conn: string): WebSocket | undefined {
    const known = this.sockets.get(conn);
    if (known) return known;
    const ws = this.ctx.getWebSockets(conn)[0];
    if (ws && !this.closed.has(conn)) this.sockets.set(conn, ws);
    return ws;
  }

  /**
   * The live sockets of this user here (sockets of other names sharing the tag are skipped).
   * Current-dialect sockets share one tag per shard: finding a user among them is a scan of the
   * shard's current-dialect sockets.
   */
  connectionsOf(user: { id: number; name: string }): [WebSocket, Connection][] {
    return [...this.ctx.getWebSockets(userTag(user.name)), ...this.ctx.getWebSockets(CURRENT_TAG)].flatMap((ws) => {
      const c = this.connectionOf(ws);
      return c && c.userId === user.id && !this.closed.has(c.conn) ? [[ws, c] as [WebSocket, Connection]] : [];
    });
  }

  /** The connection's subscription to carry a result: the first preferred topic, else any topic. */
  carrier(connection: Connection, preferred: string[]) {
    for (const destination of preferred) {
      const found = this.store.find(connection.conn, destination);
      if (found) return found;
    }
    return this.store.anyTopic(connection.conn);
  }

  /**
   * A MESSAGE frame on one of the connection's subscriptions, behind whatever its backlog holds.
   * `droppable`: an OPEN channel's message, which the slow-consumer policy may skip.
   */
  sendMessage(ws: WebSocket, conn: string, to: Subscription, body: string, extra: Correlation = {}, droppable?: Droppable) {
    this.outbox.write(conn, ws, this.messageFrame(conn, to, body, extra), droppable);
  }

  /**
   * One event of a fan-out: `head` (stomp.ts `messageHead`) is the subscription's, `tail` the
   * event's, both built once for all the sockets they go to.
   */
  sendEvent(ws: WebSocket, conn: string, sid: string, head: string, tail: string, droppable?: Droppable) {
    const id = `${conn}-${++this.messageSeq}`;
    // Current clients ACK every topic MESSAGE by its `ack` header (stompx-current.md §3.3): the
    // outbox holds events back once too many wait for theirs.
    const current = dialectOf(conn) === "current";
    const ack = current ? `ack:${id}\n` : "";
    this.outbox.write(conn, ws, `${head}message-id:${id}\n${ack}${tail}`, droppable, current ? sid : undefined);
  }

  /** Any other frame (a RECEIPT), in order with the connection's messages. */
  write(ws: WebSocket, conn: string, frame: string) {
    this.outbox.write(conn, ws, frame);
  }

  private messageFrame(conn: string, { sid, destination }: Subscription, body: string, extra: Correlation = {}) {
    const id = `${conn}-${++this.messageSeq}`;
    const headers = {
      subscription: sid,
      destination,
      "message-id": id,
      ...(dialectOf(conn) === "current" && destination.startsWith("/topic/") ? { ack: id } : {}),
      "content-type": "application/json",
      ...extra,
    };
    return serializeFrame("MESSAGE", headers, body);
  }

  /**
   * A StompX error on the connection's errors queue, correlated to what failed. Without a
   * correlation header the SDK would fail every pending action, so uncorrelated errors are dropped.
   */
  reportError(ws: WebSocket, connection: Connection, error: ChatError, correlation: Correlation) {
    if (!correlation["receipt-id"] && !correlation["subscription-id"]) return;
    const queue = this.store.find(connection.conn, ERRORS_QUEUE);
    if (!queue) return;
    const body = JSON.stringify({ error: error.error, message: error.message, time: nowIso(), timestamp: nowIso() });
    this.sendMessage(ws, connection.conn, queue, body, correlation);
  }

  /**
   * A frame that cannot be parsed, or a failure we did not expect: the STOMP answer is an
   * ERROR frame and closing the connection; the client reconnects and re-subscribes. Unexpected
   * failures are logged, never shown.
   */
  fail(ws: WebSocket, e: unknown) {
    const known = e instanceof FrameError;
    if (!known) console.error(JSON.stringify({ level: "error", event: "session_failed", error: e instanceof Error ? e.stack : String(e) }));
    if (known) this.closeWithError(ws, "InvalidFrameError", e.message, 1002);
    else this.closeWithError(ws, "InternalServerError", "Internal server error", 1011);
  }

  /** The STOMP way to end a connection: an ERROR frame, then the close. */
  closeWithError(ws: WebSocket, error: string, message: string, code: number) {
    try {
      ws.send(
        serializeFrame("ERROR", { message: error, "content-type": "application/json" }, JSON.stringify({ error, message, time: nowIso() })),
      );
      ws.close(code, error);
    } catch {
      /* already closed */
    }
    this.forget(ws);
  }

  /**
   * The connection ended: nothing more is sent to it, and its subscriptions go. `deliberate`: the
   * client said goodbye (DISCONNECT), so it is not expected back.
   */
  forget(ws: WebSocket, deliberate = false) {
    const connection = this.connectionOf(ws);
    if (!connection) return;
    this.closed.add(connection.conn);
    this.sockets.delete(connection.conn);
    this.outbox.forget(connection.conn);
    this.onForget(connection, deliberate);
    // Bounded: only frames already in flight can still name a closed connection.
    if (this.closed.size > 10_000) this.closed.delete(this.closed.values().next().value!);
    this.store.forgetConnection(connection.conn, Date.now());
  }
}
