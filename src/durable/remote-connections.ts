/**
 * A home shard's index of its users' connections that live on other shards. A current-dialect
 * client names its user only in CONNECT, after the upgrade reached a shard picked at random
 * (realtime/websocket.routes.ts); that shard registers the connection here, with the shard every
 * user-targeted call already goes to (chat/live.ts `shardName`), which forwards such calls on.
 * Kept in SQLite storage, so a hibernated home shard still knows where to forward.
 */
export class RemoteConnections {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS remote_connections (conn TEXT PRIMARY KEY, user_id INTEGER NOT NULL, shard TEXT NOT NULL)");
    sql.exec("CREATE INDEX IF NOT EXISTS remote_connections_user ON remote_connections (user_id)");
  }

  add(conn: string, userId: number, shard: string) {
    this.sql.exec("INSERT OR REPLACE INTO remote_connections (conn, user_id, shard) VALUES (?, ?, ?)", conn, userId, shard);
  }

  remove(conn: string) {
    this.sql.exec("DELETE FROM remote_connections WHERE conn = ?", conn);
  }

  /** The other shards holding connections of this user. */
  shardsOf(userId: number): string[] {
    return this.sql
      .exec<{ shard: string }>("SELECT DISTINCT shard FROM remote_connections WHERE user_id = ?", userId)
      .toArray()
      .map((r) => r.shard);
  }
}
