/**
 * Every table of the platform, declared once. Migrations in `migrations/` are generated from this
 * file by drizzle-kit (`npm run db:generate`); never edit them by hand.
 *
 * Ids are SQLite INTEGER PRIMARY KEY AUTOINCREMENT: 64-bit, increasing in creation order, never
 * reused after a delete (so a stale link can never point at someone else's new row), and far below
 * 2^53 in any realistic deployment, so JavaScript clients read them exactly.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** JSON stored in a text column (user, channel and message `properties`). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Milliseconds since the epoch, set by SQLite so every writer agrees on the clock. */
const createdAt = () =>
  integer("created_at", { mode: "timestamp_ms" }).notNull().default(sql`(cast(unixepoch('subsec') * 1000 as integer))`);

export const applications = sqliteTable(
  "applications",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** The organization that owns the application; tokens carry it as `scope: org:<id>:app`. */
    organizationId: integer("organization_id").notNull().default(1),
    name: text("name").notNull(),
    /** Client-side API key (a UUID) that the chat SDK presents. */
    key: text("key").notNull(),
    /** When set, chat sessions must present one of the user's challenge tokens; no guests. */
    requireAuthenticatedSessions: integer("require_authenticated_sessions", { mode: "boolean" }).notNull().default(false),
    /**
     * Access tokens carry the epoch they were issued in; raising it cuts off every token issued
     * before (see auth/epochs.ts). Starts at 0.
     */
    tokenEpoch: integer("token_epoch").notNull().default(0),
    /**
     * Row counts kept by triggers (migrations/0004_counters.sql) so a page's total is one row read,
     * not a scan of the application's users or channels.
     */
    userCount: integer("user_count").notNull().default(0),
    channelCount: integer("channel_count").notNull().default(0),
    /** Custom data the application's owner keeps with it (the current Platform API shows it). */
    properties: text("properties", { mode: "json" }).$type<JsonObject>().notNull().default({}),
    /** Whether chat sessions may create channels (the `userCreatedChannels` setting). */
    userCreatedChannels: integer("user_created_channels", { mode: "boolean" }).notNull().default(true),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("applications_key_unique").on(t.key)],
);

export const clientCredentials = sqliteTable(
  "client_credentials",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    clientId: text("client_id").notNull(),
    /** SHA-256 of the secret, hex. The secret itself is shown once and never stored. */
    secretHash: text("secret_hash").notNull(),
    createdAt: createdAt(),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
  },
  (t) => [uniqueIndex("client_credentials_client_id_unique").on(t.clientId)],
);

export const users = sqliteTable(
  "users",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** Shown to other users; null means "same as name". */
    displayName: text("display_name"),
    displayPictureUrl: text("display_picture_url"),
    /** Created by a chat session for a name the application had not registered. */
    isGuest: integer("is_guest", { mode: "boolean" }).notNull().default(false),
    /** Free-form JSON object set by the user's own client. */
    properties: text("properties", { mode: "json" }).$type<JsonObject>().notNull().default({}),
    createdAt: createdAt(),
  },
  // The unique index makes a name unique per application even under concurrent creates; the
  // second serves `WHERE application_id = ? ORDER BY id` pages without sorting.
  (t) => [
    uniqueIndex("users_application_name_unique").on(t.applicationId, t.name),
    index("users_application_idx").on(t.applicationId, t.id),
  ],
);

export const CHANNEL_TYPES = ["OPEN", "PUBLIC", "PRIVATE", "DIRECT"] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export const channels = sqliteTable(
  "channels",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    type: text("type", { enum: CHANNEL_TYPES }).notNull(),
    /**
     * "" when the channel has no name (names are optional, and an empty name is never valid
     * input, so "" is unambiguous). Kept NOT NULL because making it nullable would need a
     * table rebuild, which in SQLite cascades deletes through the foreign keys.
     */
    name: text("name").notNull(),
    /** DIRECT channels: the sorted member ids ("3,8,12"); unique, so one set of users has one channel. */
    directKey: text("direct_key"),
    properties: text("properties", { mode: "json" }).$type<JsonObject>().notNull().default({}),
    /** Shown to users; null means "same as name". */
    displayName: text("display_name"),
    /**
     * The user the back end named as creator (a member too). No foreign key: SQLite adds one only
     * by rebuilding the table, which would cascade deletes; a creator since deleted finds no user.
     */
    creatorId: integer("creator_id"),
    createdAt: createdAt(),
  },
  (t) => [
    index("channels_application_idx").on(t.applicationId, t.id),
    index("channels_application_type_idx").on(t.applicationId, t.type, t.id),
    uniqueIndex("channels_direct_unique").on(t.applicationId, t.directKey),
  ],
);

/**
 * Who belongs to which channel. Written by the Platform API today and by chat sessions later
 * (joins, invitations); `lastReadMessageId` backs read receipts and unread counts.
 */
export const channelMembers = sqliteTable(
  "channel_members",
  {
    channelId: integer("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    lastReadMessageId: integer("last_read_message_id"),
    /** A moderator is a member with this role; leaving the channel ends it. */
    isModerator: integer("is_moderator", { mode: "boolean" }).notNull().default(false),
    createdAt: createdAt(),
    /** When the read marker last moved: the time of the member's read receipts. */
    lastReadAt: integer("last_read_at", { mode: "timestamp_ms" }),
    /** The member muted the channel: their notifications of it say `muted: true`. */
    muted: integer("muted", { mode: "boolean" }).notNull().default(false),
    /** The member hid the channel: out of their channel list until a new message arrives. */
    hidden: integer("hidden", { mode: "boolean" }).notNull().default(false),
    /** The member cleared their history: messages with an id up to this one are gone for them. */
    clearedThroughId: integer("cleared_through_id"),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.userId] }), index("channel_members_user_idx").on(t.userId, t.channelId)],
);

export interface StoredFile {
  type: "HOSTED" | "EXTERNAL";
  url: string;
  name: string;
  contentType: string;
  size: number;
  /** R2 object key of a HOSTED file; never shown to clients. */
  key?: string;
}

export const MESSAGE_TYPES = ["TEXT", "FILE", "SYSTEM_TEXT", "SYSTEM_FILE"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Persisted messages of PUBLIC and PRIVATE channels. OPEN channels never write here. */
export const messages = sqliteTable(
  "messages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    channelId: integer("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    /** The sender of TEXT and FILE messages; null for system messages. */
    userId: integer("user_id").references(() => users.id, { onDelete: "cascade" }),
    type: text("type", { enum: MESSAGE_TYPES }).notNull(),
    body: text("body"),
    /** FILE and SYSTEM_FILE messages: `{type, url, name, contentType, size}` (see files). */
    file: text("file", { mode: "json" }).$type<StoredFile>(),
    /** Optional label a back end gives system file messages to group them. */
    groupTag: text("group_tag"),
    properties: text("properties", { mode: "json" }).$type<JsonObject>().notNull().default({}),
    createdAt: createdAt(),
    /** When the Platform API last changed the body or properties; null: never edited. */
    lastEditedAt: integer("last_edited_at", { mode: "timestamp_ms" }),
    /**
     * A reply's parent message, in the same channel. No foreign key: replies stay when their
     * parent is deleted (and SQLite adds one only by rebuilding the table).
     */
    parentId: integer("parent_id"),
    /** The standalone thread (threads) the message was sent to; null: the channel's main thread. */
    threadId: integer("thread_id"),
  },
  // Keyset pages walk (channel_id, id) backwards: O(page size) at any depth.
  (t) => [
    index("messages_channel_idx").on(t.channelId, t.id),
    index("messages_user_idx").on(t.userId),
    index("messages_application_idx").on(t.applicationId, t.id),
    index("messages_parent_idx").on(t.parentId, t.id),
    index("messages_thread_idx").on(t.threadId, t.id),
  ],
);

/**
 * Standalone threads a channel's members start (stompx-current.md §10): side conversations whose
 * messages stay out of the channel's main thread. They go with their channel.
 */
export const threads = sqliteTable(
  "threads",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    channelId: integer("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    creatorId: integer("creator_id").references(() => users.id, { onDelete: "set null" }),
    name: text("name").notNull(),
    properties: text("properties", { mode: "json" }).$type<JsonObject>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [index("threads_channel_idx").on(t.channelId, t.id)],
);

/**
 * Challenge tokens a back end creates for a user; a chat session presents one (the SDK's
 * `authParams: {token}`) when the application requires authenticated sessions. Stored as given:
 * the Platform API lists and revokes them by value, and only the application's back end sees them.
 */
export const userTokens = sqliteTable(
  "user_tokens",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    token: text("token").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("user_tokens_token_unique").on(t.token), index("user_tokens_user_idx").on(t.userId, t.id)],
);

/**
 * `Idempotency-Key`s of message POSTs to persisted channels: a retry with the same key answers
 * the message the first request created instead of sending a second one. The row is written in
 * the same transaction as the message, so a key never names a message that was not stored.
 * `message_id` has no foreign key: a deleted message leaves its key behind (a retry then learns
 * the message is gone rather than sending it again). Rows older than a day are ignored and swept.
 */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    /** SHA-256 (hex) of what the request asked for; the same key with another request is refused. */
    fingerprint: text("fingerprint").notNull(),
    messageId: integer("message_id").notNull(),
    createdAt: createdAt(),
  },
  // The sweep deletes by age.
  (t) => [primaryKey({ columns: [t.applicationId, t.key] }), index("idempotency_keys_created_idx").on(t.createdAt)],
);

export type MessageRow = typeof messages.$inferSelect;

/**
 * Stored files waiting to be deleted from R2 (an outbox). A row is written in the same transaction
 * that deletes whatever referred to the files (a message, a user's messages, a channel), and
 * removed once R2 has deleted them; a failed deletion stays here and is retried by the scheduled
 * sweep (files/deletions.ts). Downloads refuse a file while its deletion is pending, so a file
 * is unreachable from the moment the delete was answered. No foreign key: the row must outlive
 * the application, channel or user it came from.
 */
export const fileDeletions = sqliteTable(
  "file_deletions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    applicationId: integer("application_id").notNull(),
    /** One object key (`<app>/<channel>/<uuid>`), or a prefix ending in `/` (a whole channel). */
    target: text("target").notNull(),
    attempts: integer("attempts").notNull().default(0),
    createdAt: createdAt(),
  },
  (t) => [index("file_deletions_target_idx").on(t.target)],
);

/**
 * Public halves of the token signing keys (auth/key-ring.ts). The private key lives only in the
 * `JWT_PRIVATE_KEY` secret; this table is what lets a key outlive its turn as the signing key:
 * after `npm run keys -- rotate` the previous key stays here, accepted for verification and
 * published in the JWKS, until `accepted_until` (when every token it signed has expired).
 * Written by the deploy and keys scripts and by the scheduled sweep, never by requests.
 */
export const signingKeys = sqliteTable("signing_keys", {
  kid: text("kid").primaryKey(),
  /** The public JWK as JSON (no private `d`). */
  publicJwk: text("public_jwk").notNull(),
  createdAt: createdAt(),
  /** When it stopped signing; null while it is the signing key (or about to become it). */
  retiredAt: integer("retired_at", { mode: "timestamp_ms" }),
  /** Tokens it signed are refused from then on; null: no end (not retired). */
  acceptedUntil: integer("accepted_until", { mode: "timestamp_ms" }),
});

export const JOB_TYPES = ["USER_IMPORT", "CHANNEL_IMPORT", "CHANNEL_MEMBERS_IMPORT", "MESSAGE_IMPORT"] as const;
export type JobType = (typeof JOB_TYPES)[number];
export const JOB_STATES = ["PENDING", "RUNNING", "FINISHED", "FAILED"] as const;
export type JobState = (typeof JOB_STATES)[number];

/** A row of an import file that was not imported, and why (jobs/imports.ts). */
export interface RowError {
  row: number;
  message: string;
}

/**
 * Background jobs (imports): the request stores the file in R2 and enqueues the job; the queue
 * consumer (src/jobs/) splits it into chunks and runs them. Counts live on the chunks, so a chunk
 * redelivered by the queue overwrites its own result instead of adding to the job's twice.
 */
export const jobs = sqliteTable(
  "jobs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    type: text("type", { enum: JOB_TYPES }).notNull(),
    state: text("state", { enum: JOB_STATES }).notNull().default("PENDING"),
    /** The uploaded file's name, as the client sent it. */
    fileName: text("file_name").notNull(),
    /** Where the uploaded file is kept in the FILES bucket while the job runs. */
    fileKey: text("file_key").notNull(),
    /** CHANNEL_MEMBERS_IMPORT: the channel the members join. */
    channelId: integer("channel_id"),
    /** Rows in the file, known once the file is split; null before. */
    totalRows: integer("total_rows"),
    /** Why the whole job failed (a file that is not a JSON array); null otherwise. */
    failure: text("failure"),
    createdAt: createdAt(),
    endedAt: integer("ended_at", { mode: "timestamp_ms" }),
  },
  (t) => [index("jobs_application_idx").on(t.applicationId, t.id)],
);

export const jobChunks = sqliteTable(
  "job_chunks",
  {
    jobId: integer("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    chunk: integer("chunk").notNull(),
    done: integer("done", { mode: "boolean" }).notNull().default(false),
    imported: integer("imported").notNull().default(0),
    skipped: integer("skipped").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    /** The chunk's first few failed rows (bounded by jobs/chunks.ts). */
    errors: text("errors", { mode: "json" }).$type<RowError[]>().notNull().default([]),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.chunk] })],
);

/**
 * A user's secrets (`/v1/users/{id}/secrets/{name}`): JSON objects a back end keeps beside a user.
 * Only their own GET answers them; no user resource, list or log carries them.
 */
export const userSecrets = sqliteTable(
  "user_secrets",
  {
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    secret: text("secret", { mode: "json" }).$type<JsonObject>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.name] })],
);

export const IMPORT_KINDS = ["USER", "CHANNEL", "MEMBER", "MESSAGE"] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

/**
 * `idempotencyKey`s of imported records (ChatKitty's import formats): a record whose key was
 * already imported is skipped, so running an import again never duplicates what it created. Kept
 * for as long as the application: an import may be re-run any time later. Written in the same
 * D1 batch as the record it names.
 */
export const importKeys = sqliteTable(
  "import_keys",
  {
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: IMPORT_KINDS }).notNull(),
    key: text("key").notNull(),
    /** The id of what the record created (user, channel or message); no foreign key, like idempotency_keys. */
    resourceId: integer("resource_id").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.applicationId, t.kind, t.key] })],
);

/**
 * User sessions: one per real-time connection once its CONNECT names the user (ChatKitty's
 * `ChatUserSessionResource`). `endedAt` null: ACTIVE. The session shard that holds the socket
 * writes the row and ends it when the socket closes (or, after a restart, when the socket is gone).
 */
export const userSessions = sqliteTable(
  "user_sessions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The SessionShard object's name and the connection id within it. */
    shard: text("shard").notNull(),
    conn: text("conn").notNull(),
    userAgent: text("user_agent"),
    createdAt: createdAt(),
    endedAt: integer("ended_at", { mode: "timestamp_ms" }),
  },
  (t) => [
    index("user_sessions_application_idx").on(t.applicationId, t.id),
    index("user_sessions_connection_idx").on(t.shard, t.conn),
    index("user_sessions_ended_idx").on(t.endedAt),
    // Whether a user is online (presence): their sessions not ended.
    index("user_sessions_user_idx").on(t.userId, t.endedAt),
  ],
);

/**
 * Chat sessions: a user session's presence in one channel (ChatKitty's `ChatSessionResource`),
 * from the subscription to the channel's messages until it ends or its connection does. ACTIVE
 * rows of a channel are its participants.
 */
export const chatSessions = sqliteTable(
  "chat_sessions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    userSessionId: integer("user_session_id")
      .notNull()
      .references(() => userSessions.id, { onDelete: "cascade" }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    channelId: integer("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    endedAt: integer("ended_at", { mode: "timestamp_ms" }),
  },
  (t) => [
    index("chat_sessions_application_idx").on(t.applicationId, t.id),
    index("chat_sessions_channel_idx").on(t.channelId, t.endedAt, t.userId),
    index("chat_sessions_user_session_idx").on(t.userSessionId),
    index("chat_sessions_ended_idx").on(t.endedAt),
  ],
);

/** Invitations to a channel (ChatKitty's `ChannelInviteResource`): one per invitee and channel. */
export const channelInvites = sqliteTable(
  "channel_invites",
  {
    channelId: integer("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.userId] }), index("channel_invites_user_idx").on(t.userId, t.channelId)],
);

/** Reactions: one row per (message, user, emoji); `emoji` is the Unicode character(s). */
export const messageReactions = sqliteTable(
  "message_reactions",
  {
    messageId: integer("message_id")
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    emoji: text("emoji").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.messageId, t.userId, t.emoji] })],
);

/** Messages a user deleted for themselves only ("delete for me"). */
export const messageHides = sqliteTable(
  "message_hides",
  {
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    messageId: integer("message_id")
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.messageId] }), index("message_hides_message_idx").on(t.messageId)],
);

/** Users a user blocked: the blocker no longer sees their messages. */
export const userBlocks = sqliteTable(
  "user_blocks",
  {
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    blockedUserId: integer("blocked_user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.blockedUserId] }), index("user_blocks_blocked_idx").on(t.blockedUserId)],
);
