/**
 * What each relay answers and what each action does, for one connection's user. The transport
 * (frames, subscriptions, carriers) lives in `session-shard.ts`; this module only reads and
 * writes data and says what to send. Every query is scoped to the connection's application, and
 * every channel is checked against the user's visibility or membership first.
 */
import { readConfig, LIMITS } from "../config";
import type { Db } from "../db/client";
import { CHANNEL_TYPES, type ChannelType, type JsonObject } from "../db/schema";
import { findOrCreateDirectChannel, insertChannel, listMembersPage } from "../resources/channels/channels.queries";
import { MAX_DIRECT_MEMBERS } from "../resources/channels/channels.schemas";
import { channelRoomStub, publishSaved, type Origin } from "../durable/channel-room";
import { signGrant, signingKeys } from "../auth/tokens";
import { isSafePublicUrl, MAX_URL_LENGTH, safeUrlRule } from "../http/urls";
import {
  channelHasUnread,
  countUnreadChannels,
  existingUserIds,
  findChatMessage,
  findChatUser,
  findVisibleChannel,
  insertUserMessage,
  joinChannel,
  listChatChannels,
  listChatMessages,
  markRead,
  membersOfChannels,
  updateChatUser,
  type ChannelListKind,
  type ChatChannelRow,
} from "./chat.queries";
import { dest, type RelayQuery, type Route } from "./destinations";
import {
  cursorRelayPage,
  messageCreatedEvent,
  messageNotification,
  numberedRelayPage,
  toChatChannel,
  toChatMessage,
  toChatUser,
  toCurrentUser,
  toEphemeralChatMessage,
} from "./resources";

/** A failure reported to the client on its errors queue, in the StompX error shape. */
export class ChatError extends Error {
  constructor(
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

export interface ChatContext {
  db: Db;
  env: Env;
  applicationId: number;
  userId: number;
  /** The challenge token that admitted the session, if any: grants carry it (auth/tokens.ts). */
  tokenId?: number | undefined;
  /** This connection, for routing the result of a message it sends. */
  origin: Origin;
}

/** A result for the sender, carried on the first of `carriers` it subscribes to. */
export interface ActionResult {
  type: string;
  resource: unknown;
  carriers: string[];
}

const pageQuery = (q: RelayQuery) => {
  const page = /^\d{1,9}$/.test(q.page ?? "") ? Number(q.page) : 0;
  const size = /^\d{1,3}$/.test(q.size ?? "") ? Math.min(Math.max(Number(q.size), 1), LIMITS.maxPageSize) : LIMITS.relayPageSize;
  return { page, size };
};

const requireChannel = async (ctx: ChatContext, channelId: number) => {
  const channel = await findVisibleChannel(ctx.db, ctx.applicationId, ctx.userId, channelId);
  if (!channel) throw new ChatError("ChannelNotFoundError", `Channel ${channelId} not found`);
  return channel;
};

const requireMembership = async (ctx: ChatContext, channelId: number) => {
  const channel = await requireChannel(ctx, channelId);
  if (!channel.isMember) {
    throw new ChatError("NotAChannelMemberError", `Join channel ${channelId} (${channel.name}) before acting in it`);
  }
  return channel;
};

/** Channels in the SDK's shape; DIRECT ones with their members (one query for the lot). */
const presentChannels = async (ctx: ChatContext, rows: ChatChannelRow[]) => {
  const direct = rows.filter((ch) => ch.type === "DIRECT").map((ch) => ch.id);
  const members = await membersOfChannels(ctx.db, ctx.applicationId, direct);
  return rows.map((ch) => toChatChannel(ch, members.get(ch.id)));
};

const presentChannel = async (ctx: ChatContext, channelId: number) => (await presentChannels(ctx, [await requireChannel(ctx, channelId)]))[0]!;

const CHANNEL_LISTS: Record<string, [ChannelListKind, string]> = {
  meChannels: ["member", dest.meChannels],
  meJoinableChannels: ["joinable", dest.meJoinableChannels],
  meUnreadChannels: ["unread", dest.meUnreadChannels],
};

/** The resource a relay answers with. */
export const answerRelay = async (ctx: ChatContext, route: Extract<Route, { kind: "relay" }>): Promise<unknown> => {
  switch (route.name) {
    case "me": {
      const user = await findChatUser(ctx.db, ctx.applicationId, ctx.userId);
      if (!user) throw new ChatError("UserNotFoundError", "This session's user was deleted");
      return toCurrentUser(user);
    }
    case "meReadGrant":
    case "meWriteGrant": {
      const config = readConfig(ctx.env);
      const grant = await signGrant(
        await signingKeys(ctx.env.JWT_PRIVATE_KEY),
        {
          applicationId: ctx.applicationId,
          userId: ctx.userId,
          purpose: route.name === "meReadGrant" ? "file:read" : "file:write",
          ...(ctx.tokenId !== undefined ? { tokenId: ctx.tokenId } : {}),
        },
        { issuer: config.tokenIssuer, ttlSeconds: config.tokenTtlSeconds },
      );
      return { grant };
    }
    case "meChannels":
    case "meJoinableChannels":
    case "meUnreadChannels": {
      const [kind, relay] = CHANNEL_LISTS[route.name]!;
      const { page, size } = pageQuery(route.query);
      const { rows, total } = await listChatChannels(ctx.db, ctx.applicationId, ctx.userId, kind, page * size, size);
      return numberedRelayPage("channels", await presentChannels(ctx, rows), relay, page, size, total);
    }
    case "meUnreadCount":
      return { count: await countUnreadChannels(ctx.db, ctx.applicationId, ctx.userId) };
    case "user": {
      const user = await findChatUser(ctx.db, ctx.applicationId, route.id);
      if (!user) throw new ChatError("UserNotFoundError", `User ${route.id} not found`);
      return toChatUser(user);
    }
    case "channel":
      return presentChannel(ctx, route.id);
    case "channelUnread": {
      await requireChannel(ctx, route.id);
      return { exists: await channelHasUnread(ctx.db, ctx.applicationId, ctx.userId, route.id) };
    }
    case "channelMembers": {
      await requireChannel(ctx, route.id);
      const { page, size } = pageQuery(route.query);
      const { rows, total } = await listMembersPage(ctx.db, ctx.applicationId, route.id, page * size, size);
      return numberedRelayPage("users", rows.map(toChatUser), dest.channelMembers(route.id), page, size, total);
    }
    case "channelMessages": {
      const channel = await requireChannel(ctx, route.id);
      const { size } = pageQuery(route.query);
      const start = /^\d{1,15}$/.test(route.query.start ?? "") ? Number(route.query.start) : undefined;
      const relay = dest.channelMessages(route.id);
      // One extra row says whether an older page exists; `start` is inclusive.
      if (channel.type === "OPEN") {
        const held = await channelRoomStub(ctx.env, ctx.applicationId, route.id).list(start, size + 1);
        const shown = held.slice(0, size);
        const next = held.length > size ? shown[shown.length - 1]!.seq - 1 : undefined;
        return cursorRelayPage(shown.map((m) => toEphemeralChatMessage(route.id, m)), relay, size, next);
      }
      const rows = await listChatMessages(ctx.db, ctx.applicationId, route.id, start, size + 1);
      const shown = rows.slice(0, size);
      const next = rows.length > size ? shown[shown.length - 1]!.id - 1 : undefined;
      return cursorRelayPage(shown.map(toChatMessage), relay, size, next);
    }
  }
};

const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

const optionalString = (body: Record<string, unknown>, key: string, max: number): string | null | undefined => {
  const v = body[key];
  if (v === undefined || v === null) return v;
  if (typeof v !== "string" || v.length > max) throw new ChatError("InvalidRequestError", `${key} must be a string of at most ${max} characters`);
  return v;
};

/** A URL other users' apps will load (`http/urls.ts`); null or "" clears it. */
const optionalUrl = (body: Record<string, unknown>, key: string): string | null | undefined => {
  const v = optionalString(body, key, MAX_URL_LENGTH);
  if (v && !isSafePublicUrl(v)) throw new ChatError("InvalidRequestError", safeUrlRule(key));
  return v;
};

const requireName = (v: unknown, field: string) => {
  if (typeof v !== "string" || v.trim() === "" || v.length > LIMITS.nameLength) {
    throw new ChatError("InvalidChannelNameError", `${field} must be a non-blank string of at most ${LIMITS.nameLength} characters`);
  }
  return v;
};

/** Performs an action; returns the sender's result, or undefined when the action has none. */
export const performAction = async (
  ctx: ChatContext,
  route: Extract<Route, { kind: "action" }>,
  body: Record<string, unknown>,
): Promise<ActionResult | undefined> => {
  const userTopic = dest.userChannelsTopic(ctx.userId);
  switch (route.name) {
    case "meUpdate": {
      const changes = {
        displayName: optionalString(body, "displayName", LIMITS.nameLength),
        displayPictureUrl: optionalUrl(body, "displayPictureUrl"),
        ...(body.properties === undefined ? {} : { properties: isObject(body.properties) ? body.properties : invalidProperties() }),
      };
      const editable = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
      const user =
        Object.keys(editable).length > 0
          ? await updateChatUser(ctx.db, ctx.applicationId, ctx.userId, editable)
          : await findChatUser(ctx.db, ctx.applicationId, ctx.userId);
      if (!user) throw new ChatError("UserNotFoundError", "This session's user was deleted");
      return { type: "me.updated", resource: toCurrentUser(user), carriers: [userTopic, dest.userNotificationsTopic(ctx.userId)] };
    }
    case "meCreateChannel": {
      const type = body.type;
      if (typeof type !== "string" || !CHANNEL_TYPES.includes(type as ChannelType)) {
        throw new ChatError("InvalidChannelTypeError", `type must be one of ${CHANNEL_TYPES.join(", ")}`);
      }
      const name = type === "DIRECT" && body.name === undefined ? "" : requireName(body.name, "name");
      const properties = body.properties === undefined ? {} : isObject(body.properties) ? body.properties : invalidProperties();
      const requested = [...new Set(body.members === undefined ? [] : memberIds(body.members))];
      // The creator is checked too: a session can outlive its user (deleted by the back end).
      const everyone = [...new Set([ctx.userId, ...requested])];
      const existing = await existingUserIds(ctx.db, ctx.applicationId, everyone);
      if (existing.length !== everyone.length) throw new ChatError("UserNotFoundError", "Every member must be a user of this application");
      let id: number;
      if (type === "DIRECT") {
        // The same set of users always has the same direct channel: asking again returns it.
        if (everyone.length < 2 || everyone.length > MAX_DIRECT_MEMBERS) {
          throw new ChatError("InvalidChannelMembersError", `A direct channel has 2 to ${MAX_DIRECT_MEMBERS} members, you included`);
        }
        id = (await findOrCreateDirectChannel(ctx.db, ctx.applicationId, name || undefined, everyone)).channel.id;
      } else {
        // The channel and its members (creator included) in one batch.
        id = (await insertChannel(ctx.db, ctx.applicationId, type as ChannelType, name, everyone, properties)).id;
      }
      return { type: "me.channel.created", resource: await presentChannel(ctx, id), carriers: [userTopic] };
    }
    case "channelJoin": {
      await requireChannel(ctx, route.id);
      if (!(await joinChannel(ctx.db, ctx.applicationId, ctx.userId, route.id))) {
        throw new ChatError("ChannelNotPubliclyJoinableError", `Channel ${route.id} can only be joined by invitation`);
      }
      return { type: "me.channel.joined", resource: await presentChannel(ctx, route.id), carriers: [userTopic] };
    }
    case "channelMessage": {
      const text = body.body;
      if (typeof text !== "string" || text.length === 0 || text.length > LIMITS.messageBodyLength) {
        throw new ChatError("InvalidMessageError", `body must be a string of 1 to ${LIMITS.messageBodyLength} characters`);
      }
      if (body.type !== undefined && body.type !== "TEXT") throw new ChatError("InvalidMessageError", "type must be TEXT");
      return sendTextMessage(ctx, route.id, text);
    }
    case "channelRead": {
      await requireMembership(ctx, route.id);
      await markRead(ctx.db, ctx.applicationId, route.id, ctx.userId);
      return undefined;
    }
    case "messageRead": {
      const message = await findChatMessage(ctx.db, ctx.applicationId, route.id);
      if (!message) throw new ChatError("MessageNotFoundError", `Message ${route.id} not found`);
      await requireMembership(ctx, message.channelId);
      await markRead(ctx.db, ctx.applicationId, message.channelId, ctx.userId, message.id);
      return undefined;
    }
  }
};

const invalidProperties = (): never => {
  throw new ChatError("InvalidRequestError", "properties must be a JSON object");
};

const memberIds = (members: unknown): number[] => {
  if (!Array.isArray(members) || members.length > 100) throw new ChatError("InvalidRequestError", "members must be an array of at most 100 users");
  return members.map((m) => {
    const id = isObject(m) ? m.id : undefined;
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1) throw new ChatError("InvalidRequestError", "each member must be {\"id\": <user id>}");
    return id;
  });
};

/**
 * A user's text message: persisted (PUBLIC, PRIVATE) or held by the room (OPEN), then published
 * through the channel's room, which returns it to the sender with its receipt and to everyone
 * else watching the channel. Sending marks the channel read up to that message for the sender.
 */
const sendTextMessage = async (ctx: ChatContext, channelId: number, text: string): Promise<ActionResult | undefined> => {
  const channel = await requireMembership(ctx, channelId);
  const room = channelRoomStub(ctx.env, ctx.applicationId, channelId);
  const sender = await findChatUser(ctx.db, ctx.applicationId, ctx.userId);
  if (!sender) throw new ChatError("UserNotFoundError", "This session's user was deleted");
  if (channel.type === "OPEN") {
    const { properties: _p, ...user } = toChatUser(sender);
    await room.post(channelId, { type: "TEXT", body: text, user }, ctx.origin);
    return undefined;
  }
  const row = await insertUserMessage(ctx.db, ctx.applicationId, channelId, ctx.userId, { type: "TEXT", body: text });
  const message = toChatMessage({ ...row, channelId, type: "TEXT", body: text, file: null, properties: {}, user: sender });
  const [published] = await Promise.all([
    publishSaved(room, channelId, messageCreatedEvent(message), ctx.origin, {
      applicationId: ctx.applicationId,
      senderId: ctx.userId,
      notification: messageNotification(channel, message),
    }),
    markRead(ctx.db, ctx.applicationId, channelId, ctx.userId, row.id),
  ]);
  // Saved but not fanned out: the sender still gets its result (with its receipt) from here.
  if (published) return undefined;
  const topics = [dest.channelMessagesTopic(channelId), dest.channelTopic(channelId), dest.userChannelsTopic(ctx.userId)];
  return { type: "thread.message.created", resource: message, carriers: topics };
};

