/**
 * Database-level assertions for the abuse, concurrency, fault-tolerance and chat-session suites: a
 * snapshot of everything an application owns and the row counts of the tables a session writes
 * (to prove that a rejected request wrote nothing), and the orphan checks that must hold after
 * any interleaving of requests.
 */
import { env } from "cloudflare:workers";

const TABLES = ["applications", "client_credentials", "users", "channels", "channel_members", "messages", "user_tokens"] as const;

/**
 * Every row the application owns, every column that can change, plus the row count of every
 * table of the database (this file's storage is its own, so nothing else writes meanwhile) and
 * the application's objects in R2. Two equal snapshots mean nothing was written. Without
 * `tableSizes`, only the application's own rows (when other applications may write meanwhile).
 */
export const snapshot = async (applicationId: number, { tableSizes = true } = {}): Promise<string> => {
  const db = env.DB;
  const results = await db.batch([
    ...(tableSizes ? TABLES : []).map((t) => db.prepare(`SELECT '${t}' AS t, count(*) AS n, coalesce(max(rowid), 0) AS top FROM ${t}`)),
    db.prepare("SELECT * FROM applications WHERE id = ?").bind(applicationId),
    db
      .prepare("SELECT id, name, display_name, display_picture_url, is_guest, properties FROM users WHERE application_id = ? ORDER BY id")
      .bind(applicationId),
    db.prepare("SELECT id, type, name, direct_key, properties FROM channels WHERE application_id = ? ORDER BY id").bind(applicationId),
    db
      .prepare(
        "SELECT channel_id, user_id, last_read_message_id FROM channel_members WHERE application_id = ? ORDER BY channel_id, user_id",
      )
      .bind(applicationId),
    db
      .prepare("SELECT id, channel_id, user_id, type, body, file, group_tag, properties FROM messages WHERE application_id = ? ORDER BY id")
      .bind(applicationId),
    db.prepare("SELECT id, user_id, token FROM user_tokens WHERE application_id = ? ORDER BY id").bind(applicationId),
  ]);
  const files = await env.FILES.list({ prefix: `${applicationId}/` });
  return JSON.stringify({ db: results.map((r) => r.results), files: files.objects.map((o) => o.key) });
};

/**
 * Rows that point at something that no longer exists, or disagree with what they point at: over
 * the whole database, or only the rows of one application. Each entry names the check; every
 * list must be empty.
 */
export const orphans = async (applicationId?: number) => {
  // `$APP(x)`: the condition "column x is this application" (or true, over every application).
  const q = async (sql: string) => {
    const where = sql.replace(/\$APP\(([\w.]+)\)/g, (_, column: string) => (applicationId === undefined ? "1 = 1" : `${column} = ?1`));
    const statement = env.DB.prepare(where);
    return (await (applicationId === undefined ? statement : statement.bind(applicationId)).all()).results;
  };
  return {
    messagesWithoutChannel: await q(
      "SELECT m.id, m.channel_id FROM messages m LEFT JOIN channels c ON c.id = m.channel_id WHERE c.id IS NULL AND $APP(m.application_id)",
    ),
    messagesWithoutSender: await q(
      "SELECT m.id, m.user_id FROM messages m LEFT JOIN users u ON u.id = m.user_id WHERE m.user_id IS NOT NULL AND u.id IS NULL AND $APP(m.application_id)",
    ),
    messagesOfAnotherApplicationsChannel: await q(
      "SELECT m.id FROM messages m JOIN channels c ON c.id = m.channel_id WHERE c.application_id <> m.application_id AND $APP(m.application_id)",
    ),
    messagesInOpenChannels: await q(
      "SELECT m.id FROM messages m JOIN channels c ON c.id = m.channel_id WHERE c.type = 'OPEN' AND $APP(m.application_id)",
    ),
    membershipsWithoutUser: await q(
      "SELECT cm.channel_id, cm.user_id FROM channel_members cm LEFT JOIN users u ON u.id = cm.user_id WHERE u.id IS NULL AND $APP(cm.application_id)",
    ),
    membershipsWithoutChannel: await q(
      "SELECT cm.channel_id, cm.user_id FROM channel_members cm LEFT JOIN channels c ON c.id = cm.channel_id WHERE c.id IS NULL AND $APP(cm.application_id)",
    ),
    membershipsAcrossApplications: await q(
      `SELECT cm.channel_id, cm.user_id FROM channel_members cm JOIN channels c ON c.id = cm.channel_id JOIN users u ON u.id = cm.user_id
       WHERE (c.application_id <> cm.application_id OR u.application_id <> cm.application_id) AND $APP(cm.application_id)`,
    ),
    tokensWithoutUser: await q(
      "SELECT t.id, t.user_id FROM user_tokens t LEFT JOIN users u ON u.id = t.user_id WHERE u.id IS NULL AND $APP(t.application_id)",
    ),
    // A DIRECT channel's members are fixed: exactly the users its key names that still exist
    // (deleting a user takes their memberships with it, as with any channel).
    directChannelsNotMatchingTheirMembers: await q(
      `SELECT c.id, c.direct_key,
         (SELECT group_concat(user_id) FROM (SELECT user_id FROM channel_members WHERE channel_id = c.id ORDER BY user_id)) AS members,
         (SELECT group_concat(id) FROM (SELECT id FROM users WHERE application_id = c.application_id
            AND ',' || c.direct_key || ',' LIKE '%,' || id || ',%' ORDER BY id)) AS expected
       FROM channels c WHERE c.type = 'DIRECT' AND members IS NOT expected AND $APP(c.application_id)`,
    ),
    // The trigger-kept counters (migrations/0004_counters.sql) must agree with the rows.
    wrongUserCounts: await q(
      "SELECT a.id, a.user_count, (SELECT count(*) FROM users u WHERE u.application_id = a.id) AS actual FROM applications a WHERE a.user_count <> actual AND $APP(a.id)",
    ),
    wrongChannelCounts: await q(
      "SELECT a.id, a.channel_count, (SELECT count(*) FROM channels c WHERE c.application_id = a.id) AS actual FROM applications a WHERE a.channel_count <> actual AND $APP(a.id)",
    ),
  };
};

const count = async (table: "messages" | "channel_members" | "channels") =>
  (await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<number>("n")) ?? -1;

/**
 * The row counts of the tables a chat session writes to, over the whole database (each test
 * file's storage is its own, and its tests run one at a time): equal counts around a refused
 * frame mean it wrote nothing.
 */
export const d1Counts = async () => ({
  messages: await count("messages"),
  memberships: await count("channel_members"),
  channels: await count("channels"),
});

export const NO_ORPHANS = {
  messagesWithoutChannel: [],
  messagesWithoutSender: [],
  messagesOfAnotherApplicationsChannel: [],
  messagesInOpenChannels: [],
  membershipsWithoutUser: [],
  membershipsWithoutChannel: [],
  membershipsAcrossApplications: [],
  tokensWithoutUser: [],
  directChannelsNotMatchingTheirMembers: [],
  wrongUserCounts: [],
  wrongChannelCounts: [],
};
