/**
 * What a session shard records in D1 of its connections, for the Platform API to list: a user
 * session from CONNECT until the socket goes, and a chat session from the subscription to a
 * channel's messages until it ends (chat/queries/sessions.ts).
 *
 * Best effort: a failed write is logged and never breaks the connection, and only CONNECT,
 * SUBSCRIBE, UNSUBSCRIBE and closes write, never a delivery. Writes of one connection run in the
 * order they were made, so an end never overtakes the start it ends. Which connections have a
 * user session is also kept in the shard's storage (subscription-store.ts), so that after a
 * restart the sessions of sockets that are gone are ended without reading D1.
 */
import {
  countActiveSessions,
  endChatSession,
  endUserSessions,
  insertUserSession,
  type ShardConnection,
  startChatSession,
} from "../chat/queries/sessions";
import type { Db } from "../db/client";
import type { Connection } from "./session-sockets";
import type { SubscriptionStore } from "./subscription-store";

/** How long a dropped connection's user stays online, waiting for the SDK to reconnect (stompx-current.md §11.1). */
const PRESENCE_GRACE_MS = 10_000;

const logFailure = (event: string, conn: string, e: unknown) =>
  console.error(JSON.stringify({ level: "error", event, conn, error: e instanceof Error ? e.message : String(e) }));

export class SessionRecords {
  /** Each connection's last write still running: the next one waits for it. */
  private readonly pending = new Map<string, Promise<void>>();

  constructor(
    private readonly ctx: DurableObjectState,
    /** A D1 session for one write; writes go to the primary, so no replica can hide a start from its end. */
    private readonly db: () => Db,
    private readonly store: SubscriptionStore,
    /** The user's first connection opened (online) or their last one closed (offline). */
    private readonly onPresence: (applicationId: number, userId: number, online: boolean) => Promise<void>,
  ) {}

  /** CONNECT settled the user: their session starts. */
  started(connection: Connection, userId: number): Promise<void> {
    const { conn, shard, applicationId, userAgent } = connection;
    // Remembered before the write: a close while it runs must still end the row it makes.
    this.store.rememberSession(conn, shard);
    return this.chain(conn, "user_session_start_failed", async (db) => {
      await insertUserSession(db, { applicationId, userId, shard, conn, userAgent });
      if ((await countActiveSessions(db, applicationId, userId)) === 1) await this.onPresence(applicationId, userId, true);
    });
  }

  /** The connection subscribed to a channel's messages (access already checked). */
  joined(connection: Connection, channelId: number): Promise<void> {
    return this.chain(connection.conn, "chat_session_start_failed", (db) => startChatSession(db, connection, channelId));
  }

  /** The connection no longer watches the channel's messages. */
  left(connection: Connection, channelId: number): Promise<void> {
    const at = Date.now();
    return this.chain(connection.conn, "chat_session_end_failed", (db) => endChatSession(db, connection, channelId, at));
  }

  /**
   * The socket is gone: its session ends, with its chat sessions (no write if it never had one).
   * The user goes offline when it was their last connection: at once after a DISCONNECT, else only
   * if they did not reconnect within `PRESENCE_GRACE_MS` (the SDK retries after 5 s).
   */
  ended({ conn, applicationId, userId }: Connection, deliberate: boolean) {
    const shard = this.store.sessionShard(conn);
    const at = Date.now();
    if (shard === undefined) return;
    void this.chain(conn, "user_session_end_failed", async (db) => {
      await endUserSessions(db, shard, [conn], at);
      if (!deliberate) await scheduler.wait(PRESENCE_GRACE_MS);
      if ((await countActiveSessions(db, applicationId, userId)) === 0) await this.onPresence(applicationId, userId, false);
    });
  }

  /** After a restart: the sessions of sockets that did not survive it end. */
  gone(sessions: ShardConnection[]) {
    const at = Date.now();
    const byShard = new Map<string, string[]>();
    for (const { shard, conn } of sessions) {
      const conns = byShard.get(shard) ?? [];
      conns.push(conn);
      byShard.set(shard, conns);
    }
    for (const [shard, conns] of byShard) {
      const write = endUserSessions(this.db(), shard, conns, at).catch((e) =>
        logFailure("user_session_end_failed", `${conns.length} connections of ${shard}`, e),
      );
      this.ctx.waitUntil(write);
    }
  }

  /** Runs `write` after the connection's earlier ones; resolves once it ran, and never rejects. */
  private chain(conn: string, event: string, write: (db: Db) => Promise<unknown>): Promise<void> {
    const next = (this.pending.get(conn) ?? Promise.resolve())
      .then(() => write(this.db()))
      .then(
        () => undefined,
        (e) => logFailure(event, conn, e),
      );
    this.pending.set(conn, next);
    this.ctx.waitUntil(
      next.then(() => {
        if (this.pending.get(conn) === next) this.pending.delete(conn);
      }),
    );
    return next;
  }
}
