/**
 * What a session shard keeps in its SQLite storage, so it survives hibernation: each
 * connection's subscriptions, and the relay subscription ids already answered. Every SQL string
 * of the shard lives here, and every row is bounded per connection: a client cannot grow a
 * shard's storage by sending frames.
 *
 * Relay answers are remembered per user across reconnects (the SDK re-subscribes every relay
 * with its old id after a reconnect, spec §2.8) for `RECONNECT_WINDOW_MS` after the connection
 * that asked ended, then forgotten.
 */
import type { ShardConnection } from "../chat/queries/sessions";

export const RECONNECT_WINDOW_MS = 10 * 60 * 1000;
/** Relay ids remembered per connection; past it the oldest are forgotten (the `me` relay is first, and kept). */
export const MAX_RELAY_ANSWERS_PER_CONNECTION = 1000;

export interface Subscription {
  sid: string;
  destination: string;
}

export class SubscriptionStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS subscriptions (
      conn TEXT NOT NULL, sid TEXT NOT NULL, destination TEXT NOT NULL, PRIMARY KEY (conn, sid))`);
    sql.exec("CREATE INDEX IF NOT EXISTS subscriptions_destination ON subscriptions (destination, conn)");
    // Replaces `answered_relays` (per user only, kept 24 h whatever happened to the connection).
    sql.exec("DROP TABLE IF EXISTS answered_relays");
    sql.exec(`CREATE TABLE IF NOT EXISTS relay_answers (
      user_id INTEGER NOT NULL, sid TEXT NOT NULL, conn TEXT NOT NULL, seq INTEGER NOT NULL, ended_at INTEGER,
      PRIMARY KEY (user_id, sid))`);
    sql.exec("CREATE INDEX IF NOT EXISTS relay_answers_conn ON relay_answers (conn, seq)");
    // Every wake-up and CONNECT looks rows up by end time: an index, not a scan of every row.
    sql.exec("CREATE INDEX IF NOT EXISTS relay_answers_ended ON relay_answers (ended_at)");
    // Connections with a user session in D1 (session-records.ts): a restart ends those gone.
    sql.exec("CREATE TABLE IF NOT EXISTS recorded_sessions (conn TEXT PRIMARY KEY, shard TEXT NOT NULL)");
  }

  /**
   * After a restart every socket is gone: ends what belongs to connections not in `live`, and
   * returns those of them that had a user session (to end in D1).
   */
  forgetAllBut(live: Set<string>, now: number): ShardConnection[] {
    const gone = this.sql
      .exec<{ conn: string; shard: string }>("SELECT conn, shard FROM recorded_sessions")
      .toArray()
      .filter(({ conn }) => !live.has(conn));
    for (const { conn } of gone) this.forgetConnection(conn, now);
    for (const { conn } of this.sql.exec<{ conn: string }>("SELECT DISTINCT conn FROM subscriptions").toArray()) {
      if (!live.has(conn)) this.forgetConnection(conn, now);
    }
    for (const { conn } of this.sql.exec<{ conn: string }>("SELECT DISTINCT conn FROM relay_answers WHERE ended_at IS NULL").toArray()) {
      if (!live.has(conn)) this.forgetConnection(conn, now);
    }
    this.expireRelayAnswers(now);
    return gone;
  }

  /** A connection ended: its subscriptions go now, its relay answers after the reconnect window. */
  forgetConnection(conn: string, now: number) {
    this.sql.exec("DELETE FROM subscriptions WHERE conn = ?", conn);
    this.sql.exec("DELETE FROM recorded_sessions WHERE conn = ?", conn);
    this.sql.exec("UPDATE relay_answers SET ended_at = ? WHERE conn = ? AND ended_at IS NULL", now, conn);
  }

  expireRelayAnswers(now: number) {
    this.sql.exec("DELETE FROM relay_answers WHERE ended_at < ?", now - RECONNECT_WINDOW_MS);
  }

  /** How many subscriptions the connection holds, not counting `sid` (re-subscribing replaces it). */
  countOthers(conn: string, sid: string) {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM subscriptions WHERE conn = ? AND sid <> ?", conn, sid).one().n;
  }

  add(conn: string, sid: string, destination: string) {
    this.sql.exec("INSERT OR REPLACE INTO subscriptions (conn, sid, destination) VALUES (?, ?, ?)", conn, sid, destination);
  }

  /** Ends subscription `sid`; returns the destination it had. */
  remove(conn: string, sid: string): string | undefined {
    return this.sql
      .exec<{ destination: string }>("DELETE FROM subscriptions WHERE conn = ? AND sid = ? RETURNING destination", conn, sid)
      .toArray()[0]?.destination;
  }

  /** The connection has a user session in D1, recorded by this shard. */
  rememberSession(conn: string, shard: string) {
    this.sql.exec("INSERT OR REPLACE INTO recorded_sessions (conn, shard) VALUES (?, ?)", conn, shard);
  }

  /** The shard that recorded the connection's user session, if it has one. */
  sessionShard(conn: string): string | undefined {
    return this.sql.exec<{ shard: string }>("SELECT shard FROM recorded_sessions WHERE conn = ?", conn).toArray()[0]?.shard;
  }

  /** Ends the connection's subscriptions to these destinations (access to them was revoked). */
  removeDestinations(conn: string, destinations: string[]) {
    for (const destination of destinations)
      this.sql.exec("DELETE FROM subscriptions WHERE conn = ? AND destination = ?", conn, destination);
  }

  /** The connection's first subscription to `destination`, if any. */
  find(conn: string, destination: string): Subscription | undefined {
    return this.sql
      .exec<{ sid: string }>("SELECT sid FROM subscriptions WHERE conn = ? AND destination = ? LIMIT 1", conn, destination)
      .toArray()
      .map(({ sid }) => ({ sid, destination }))[0];
  }

  /** The distinct destinations the connection subscribes to under `prefix`. */
  destinationsOf(conn: string, prefix: string): string[] {
    return this.sql
      .exec<{ destination: string }>(
        "SELECT DISTINCT destination FROM subscriptions WHERE conn = ? AND substr(destination, 1, ?) = ?",
        conn,
        prefix.length,
        prefix,
      )
      .toArray()
      .map((r) => r.destination);
  }

  /** Any topic subscription of the connection (a carrier of last resort for its results). */
  anyTopic(conn: string): Subscription | undefined {
    return this.sql
      .exec<{ sid: string; destination: string }>(
        "SELECT sid, destination FROM subscriptions WHERE conn = ? AND destination LIKE '/topic/%' LIMIT 1",
        conn,
      )
      .toArray()[0];
  }

  /** One subscription id per connection watching `destination` (an event goes once to each). */
  watchers(destination: string) {
    return this.sql
      .exec<{ conn: string; sid: string }>(
        "SELECT conn, MIN(sid) AS sid FROM subscriptions WHERE destination = ? GROUP BY conn",
        destination,
      )
      .toArray();
  }

  /** Whether any connection here subscribes to a topic of the channel (its self topic or a sub-topic). */
  watchesChannel(channelId: number): boolean {
    const self = `/topic/v1/channels/${channelId}`;
    // A range on the indexed column: "/" sorts right before "0", so (self/, self0) holds exactly self/<sub>.
    return (
      this.sql
        .exec(
          "SELECT 1 FROM subscriptions WHERE destination = ? OR (destination > ? AND destination < ?) LIMIT 1",
          self,
          `${self}/`,
          `${self}0`,
        )
        .toArray().length > 0
    );
  }

  /**
   * Whether the user's relay `sid` was already answered (on this connection, or on one that ended
   * within the reconnect window); a remembered id moves to this connection.
   */
  wasAnswered(userId: number, sid: string, conn: string, now: number) {
    const row = this.sql
      .exec<{ conn: string; ended_at: number | null }>(
        "SELECT conn, ended_at FROM relay_answers WHERE user_id = ? AND sid = ?",
        userId,
        sid,
      )
      .toArray()[0];
    if (!row) return false;
    if (row.ended_at !== null && row.ended_at < now - RECONNECT_WINDOW_MS) return false;
    if (row.conn !== conn)
      this.sql.exec("UPDATE relay_answers SET conn = ?, ended_at = NULL WHERE user_id = ? AND sid = ?", conn, userId, sid);
    return true;
  }

  /** Remembers an answered relay id, forgetting the connection's oldest beyond the bound (but its first). */
  rememberAnswer(userId: number, sid: string, conn: string) {
    const seq = this.sql.exec<{ n: number }>("SELECT coalesce(max(seq), 0) + 1 AS n FROM relay_answers WHERE conn = ?", conn).one().n;
    this.sql.exec(
      "INSERT OR REPLACE INTO relay_answers (user_id, sid, conn, seq, ended_at) VALUES (?, ?, ?, ?, NULL)",
      userId,
      sid,
      conn,
      seq,
    );
    if (seq > MAX_RELAY_ANSWERS_PER_CONNECTION) {
      this.sql.exec("DELETE FROM relay_answers WHERE conn = ? AND seq > 1 AND seq <= ?", conn, seq - MAX_RELAY_ANSWERS_PER_CONNECTION + 1);
    }
  }
}

/** Longest subscription or receipt id a client may use: the SDK's are UUID-based, under 64. */
export const MAX_ID_CHARS = 256;
