/**
 * What the Platform API does with messages, once for both forms: `/v1/applications/{id}/…` (2020)
 * and `/v1/channels/{id}/messages`, `/v1/messages/…` (current) differ only in how a route reads
 * its request and in what a delete answers, so each route translates its input, calls one of these
 * and presents the result with the one presenter (messages.present.ts). Sending goes through the
 * one message pipeline (chat/messages.ts), which also delivers to live sessions.
 */
import type { Context } from "hono";
import { channelNotFound, messageNotFound } from "../../chat/errors";
import { fileDigest, requestFingerprint } from "../../chat/idempotency";
import type { EphemeralMessage } from "../../chat/live";
import { messageExtras } from "../../chat/message-extras";
import {
  findEarlierMessage,
  listMessages,
  type PostOptions,
  type Posted,
  postSystemMessage,
  postUserMessage,
  postWithStoredFile,
} from "../../chat/messages";
import type { ApplicationRow } from "../../chat/queries/applications";
import type { ChannelRow } from "../../chat/queries/channels";
import {
  deleteMessage,
  deleteOldestMessages,
  findChannelWithMessages,
  findMessage,
  listApplicationMessages,
  listReadReceiptsPage,
  type MessageChanges,
  newestMessageId,
  type MessageFilter,
  type MessageRow,
  updateMessage,
  upperKeyAbove,
} from "../../chat/queries/messages";
import type { UserRow } from "../../chat/queries/users";
import { fileTooLarge, isEphemeral } from "../../chat/rules";
import type { JsonObject, StoredFile } from "../../db/schema";
import type { AppEnv } from "../../env";
import { drainFileDeletions } from "../../files/deletions";
import { requireMatch } from "../../http/conditional";
import { type CursorQuery, cursorBound, type KeptParams, newerThan } from "../../http/cursor";
import { ApiError } from "../../http/errors";
import { chatScope } from "../../http/params";
import { type PageQuery, pageMetadata, pageOffset } from "../../http/pagination";
import { loadApplication } from "../applications/applications.operations";
import { loadChannel, writerIn } from "../channels/channels.operations";
import type { UserReference } from "../channels/channels.schemas";
import { toEphemeralMessageResource, toMessagePage, toMessageResource } from "./messages.present";
import type {
  CreateMessageBody,
  MessageListQuery,
  MessageMergePatch,
  MessagePage,
  MessageResource,
  UploadMessageForm,
} from "./messages.schemas";

// ── reading ───────────────────────────────────────────────────────────────────────────────────

const filterOf = ({ username, query }: MessageListQuery): MessageFilter => ({ senderName: username, text: query });
const keptOf = ({ username, query }: MessageListQuery) => ({ username, query });
const isFiltered = (q: MessageListQuery) => q.username !== undefined || q.query !== undefined || newerThan(q) !== undefined;

const matches = (m: EphemeralMessage, { username, query }: MessageListQuery) =>
  (username === undefined || m.user?.name === username) &&
  (query === undefined || (m.body ?? "").toLowerCase().includes(query.toLowerCase()));

/**
 * An OPEN channel's page window, worked out in memory: its room holds only its newest few hundred
 * messages, so filters and PREVIOUS pages read them all rather than teach the room each query.
 */
const heldWindow = (held: EphemeralMessage[], query: MessageListQuery): EphemeralMessage[] => {
  const matching = held.filter((m) => matches(m, query));
  const above = newerThan(query);
  const atMost = above === undefined ? cursorBound(query) : (matching.filter((m) => m.seq > above).slice(-query.size)[0]?.seq ?? above);
  return matching.filter((m) => atMost === undefined || m.seq <= atMost).slice(0, query.size + 1);
};

/**
 * The upper key of the requested page: a SELF or NEXT page's own, or (PREVIOUS) the largest of the
 * `size` keys just above `start`; with none above, `start` itself (the page then shows nothing).
 */
const upperKey = async (c: Context<AppEnv>, appId: number, channelId: number | undefined, query: CursorQuery, filter: MessageFilter) => {
  const above = newerThan(query);
  if (above === undefined) return cursorBound(query);
  return (await upperKeyAbove(c.var.db, appId, channelId, above, query.size, filter)) ?? above;
};

/** A cursor page of a channel's messages, newest first: an OPEN channel's from its room, others' from D1. */
export const channelMessagesPage = async (
  c: Context<AppEnv>,
  appId: number,
  channelId: number,
  query: MessageListQuery,
  href: string,
): Promise<MessagePage> => {
  const atMost = await upperKey(c, appId, channelId, query, filterOf(query));
  // One extra row tells whether an older page exists.
  const limit = query.size + 1;
  const { channel, rows } = await findChannelWithMessages(c.var.db, appId, channelId, atMost, limit, filterOf(query));
  if (!channel) throw channelNotFound(channelId);
  const scope = chatScope(c, appId);
  const inMemory = isEphemeral(channel.type) && isFiltered(query);
  const list = inMemory
    ? await listMessages(scope, channel, undefined, c.var.config.openChannelMessageLimit)
    : await listMessages(scope, channel, atMost, limit, rows);
  const { links } = c.var;
  if ("held" in list) {
    const held = inMemory ? heldWindow(list.held, query) : list.held;
    const present = (m: EphemeralMessage) => toEphemeralMessageResource(appId, channelId, m, links);
    return toMessagePage(held, query, href, (m) => m.seq, present, keptOf(query));
  }
  const extrasOf = await extrasOfRows(c, appId, list.saved);
  return toMessagePage(
    list.saved,
    query,
    href,
    (m) => m.id,
    (m) => toMessageResource(appId, m, links, extrasOf(m.id)),
    keptOf(query),
  );
};

const extrasOfRows = (c: Context<AppEnv>, appId: number, rows: MessageRow[]) =>
  messageExtras(
    c.var.db,
    appId,
    rows.map((m) => m.id),
  );

/** A persisted message with its reactions and replies count, as reads show it. */
export const presentMessage = async (c: Context<AppEnv>, appId: number, message: MessageRow) =>
  toMessageResource(appId, message, c.var.links, (await extrasOfRows(c, appId, [message]))(message.id));

/** A cursor page of every persisted message of the application, newest first. */
export const applicationMessagesPage = (c: Context<AppEnv>, appId: number, query: MessageListQuery, href: string) =>
  filteredMessagesPage(c, appId, query, filterOf(query), keptOf(query), href);

/** The rows of a cursor page of the application's persisted messages that pass `filter`: `size + 1`, newest first (see cursorSlice). */
export const filteredMessageRows = async (c: Context<AppEnv>, appId: number, query: CursorQuery, filter: MessageFilter) => {
  const atMost = await upperKey(c, appId, undefined, query, filter);
  return listApplicationMessages(c.var.db, appId, atMost, query.size + 1, filter);
};

/** A cursor page of the application's persisted messages that pass `filter`, newest first; `kept` stays in its links. */
export const filteredMessagesPage = async (
  c: Context<AppEnv>,
  appId: number,
  query: CursorQuery,
  filter: MessageFilter,
  kept: KeptParams,
  href: string,
) => {
  const rows = await filteredMessageRows(c, appId, query, filter);
  const extrasOf = await extrasOfRows(c, appId, rows);
  return toMessagePage(
    rows,
    query,
    href,
    (m) => m.id,
    (m) => toMessageResource(appId, m, c.var.links, extrasOf(m.id)),
    kept,
  );
};

export const loadMessage = async (c: Context<AppEnv>, appId: number, messageId: number): Promise<MessageRow> => {
  const message = await findMessage(c.var.db, appId, messageId);
  if (!message) throw messageNotFound(messageId);
  return message;
};

/** Who has read a message: a numbered page of receipts, from the members' read markers. */
export const readReceiptsPage = async (c: Context<AppEnv>, appId: number, messageId: number, query: PageQuery) => {
  const message = await loadMessage(c, appId, messageId);
  const { rows, total } = await listReadReceiptsPage(c.var.db, appId, message, pageOffset(query), query.size);
  const receipts = rows.map(({ user, readUpTo }) => ({
    user,
    readAt: readUpTo && readUpTo > message.createdAt ? readUpTo : message.createdAt,
  }));
  return { receipts, meta: pageMetadata(query, total) };
};

// ── changing ──────────────────────────────────────────────────────────────────────────────────

/** With If-Match, the write is refused (412) unless the client saw the message as it is now. */
const requireMessageMatch = (c: Context<AppEnv>, appId: number, message: MessageRow) =>
  requireMatch(c, () => presentMessage(c, appId, message));

const TEXT_TYPES: ReadonlySet<string> = new Set(["TEXT", "SYSTEM_TEXT"]);

/** Changes a message's body (text messages) and properties with a JSON merge patch; any change sets its edit time. */
export const patchMessage = async (c: Context<AppEnv>, appId: number, messageId: number, patch: MessageMergePatch) => {
  const current = await loadMessage(c, appId, messageId);
  await requireMessageMatch(c, appId, current);
  const { body, properties } = patch;
  if (body !== undefined && !TEXT_TYPES.has(current.type)) {
    throw new ApiError("InvalidRequestError", `Message ${messageId} is a ${current.type} message: it has no body to change`, {
      body: "only TEXT and SYSTEM_TEXT messages have a body",
    });
  }
  const changes: MessageChanges = {
    ...(body !== undefined ? { body } : {}),
    ...(properties === null ? { properties: {} } : properties !== undefined ? { propertiesPatch: properties } : {}),
  };
  if (Object.keys(changes).length === 0) return current;
  const updated = await updateMessage(c.var.db, appId, messageId, changes);
  if (!updated) throw messageNotFound(messageId);
  return updated;
};

/** Deletes a message (and its stored file); answers the channel it was in. */
export const removeMessage = async (c: Context<AppEnv>, appId: number, messageId: number): Promise<ChannelRow> => {
  await requireMessageMatch(c, appId, await loadMessage(c, appId, messageId));
  const deleted = await deleteMessage(c.var.db, appId, messageId);
  if (!deleted) throw messageNotFound(messageId);
  await drainFileDeletions(c.env, deleted.fileDeletions);
  return deleted.channel;
};

/**
 * Deletes every persisted message of the application, with their stored files, in bounded chunks
 * (oldest first, each chunk one transaction that also records its files' deletion); answers the
 * application. Messages sent while it runs are left alone: it stops at the newest message there
 * was when it began. OPEN channels' messages are not persisted: their rooms keep their newest few
 * in memory until they age out, and are not cleared here.
 */
export const removeAllMessages = async (c: Context<AppEnv>, appId: number): Promise<ApplicationRow> => {
  const newest = await newestMessageId(c.var.db, appId);
  for (let done = newest === undefined; !done; ) {
    const chunk = await deleteOldestMessages(c.var.db, appId, newest!);
    await drainFileDeletions(c.env, chunk.fileDeletions);
    done = chunk.done;
  }
  return loadApplication(c, appId);
};

// ── sending ───────────────────────────────────────────────────────────────────────────────────

/**
 * What a POST asks for: text, a link to an external file, or a file still to store; sent on a
 * user's behalf (`sender`, TEXT/FILE) or by the application (SYSTEM_TEXT/SYSTEM_FILE).
 */
export interface MessageDraft {
  content: { body: string } | { file: StoredFile } | { upload: File };
  sender?: UserReference | undefined;
  /** The request field that named the sender, for a 400 that names it. */
  senderField?: string;
  groupTag?: string | undefined;
  properties?: JsonObject | undefined;
}

/** A JSON request's draft (both forms): `{body}`, `{type: "TEXT", body}` or `{type: "FILE", file}`, each maybe with `user`. */
export const jsonDraft = (body: CreateMessageBody): MessageDraft => ({
  content: body.type === "FILE" ? { file: { type: "EXTERNAL", ...body.file } } : { body: body.body },
  sender: body.user,
  senderField: "user",
  groupTag: body.groupTag,
  properties: body.properties,
});

/** A multipart request's draft: a file to store (over MAX_FILE_BYTES: 413), maybe on behalf of `username`. */
export const uploadDraft = ({ file, groupTag, username, properties }: UploadMessageForm, maxFileBytes: number): MessageDraft => {
  if (file.size > maxFileBytes) throw fileTooLarge(maxFileBytes);
  return {
    content: { upload: file },
    sender: username === undefined ? undefined : { username },
    senderField: "username",
    groupTag,
    properties,
  };
};

/**
 * The fingerprint's view of a draft, in a fixed key order: an upload by its bytes, name and type
 * (where it will be stored is not known yet, and differs on every attempt).
 */
const requestedContent = async ({ content, sender, groupTag, properties }: MessageDraft) => {
  const what =
    "upload" in content
      ? { sha256: await fileDigest(content.upload), name: content.upload.name, contentType: content.upload.type, size: content.upload.size }
      : content;
  return { what, sender: sender ?? null, groupTag: groupTag ?? null, properties: properties ?? null };
};

/**
 * The channel and the user a message is sent on behalf of: the user must be a member of a PRIVATE
 * or DIRECT channel (403); an OPEN or PUBLIC channel is anyone's to write in, as to read.
 */
type Sent = { body: string } | { file: StoredFile };

/** Posts the content as the sender's (TEXT, FILE) or, without one, the application's (SYSTEM_TEXT, SYSTEM_FILE). */
const post = (
  c: Context<AppEnv>,
  appId: number,
  channelId: number,
  as: { channel: ChannelRow; user: UserRow } | undefined,
  { groupTag, properties }: MessageDraft,
  sent: Sent,
  options: PostOptions,
): Promise<Posted> => {
  const scope = chatScope(c, appId);
  const extras = { groupTag, properties };
  if (as) {
    const content = "body" in sent ? { type: "TEXT" as const, ...sent } : { type: "FILE" as const, ...sent };
    return postUserMessage(scope, as.channel, as.user, { ...content, ...extras }, options);
  }
  const content = "body" in sent ? { type: "SYSTEM_TEXT" as const, ...sent } : { type: "SYSTEM_FILE" as const, ...sent };
  return postSystemMessage(scope, channelId, { ...content, ...extras }, options);
};

/**
 * Sends a message. With an Idempotency-Key a retry is answered before anything is written (or
 * stored in R2); an upload is stored only once the channel is known to exist, and deleted again
 * when its message is not sent. Live delivery to chat sessions happens after the response.
 */
export const sendMessage = async (
  c: Context<AppEnv>,
  appId: number,
  channelId: number,
  draft: MessageDraft,
  idempotencyKey: string | undefined,
): Promise<MessageResource> => {
  const scope = chatScope(c, appId);
  const claim =
    idempotencyKey === undefined
      ? undefined
      : { key: idempotencyKey, fingerprint: await requestFingerprint(appId, channelId, await requestedContent(draft)) };
  const earlier = claim && (await findEarlierMessage(scope, claim));
  if (earlier) return presentMessage(c, appId, earlier);
  const options: PostOptions = { claim, defer: (delivery) => c.executionCtx.waitUntil(delivery) };
  const as = draft.sender ? await writerIn(c, appId, channelId, draft.sender, draft.senderField ?? "user") : undefined;
  const { content } = draft;
  let posted: Posted;
  if ("upload" in content) {
    if (!as) await loadChannel(c, appId, channelId);
    posted = await postWithStoredFile(scope, c.var.links.base, channelId, content.upload, (file) =>
      post(c, appId, channelId, as, draft, { file }, options),
    );
  } else {
    posted = await post(c, appId, channelId, as, draft, content, options);
  }
  return "held" in posted
    ? toEphemeralMessageResource(appId, channelId, posted.held, c.var.links)
    : toMessageResource(appId, posted.saved, c.var.links);
};
