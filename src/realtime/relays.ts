/**
 * What each relay answers, for one connection's user: resources in the SDK's shapes
 * (`presenters.ts`), read through the operations and queries every transport shares. Every channel
 * is checked against the user's visibility first.
 */
import { currentSigningKey, signGrant } from "../auth/tokens";
import { channelForUser } from "../chat/channels";
import { ChatError, sessionUserDeleted, userNotFound } from "../chat/errors";
import { listMessages } from "../chat/messages";
import {
  channelHasUnread,
  countUnreadChannels,
  listChannelsOfUser,
  type ChannelListKind,
  type VisibleChannel,
} from "../chat/queries/channels";
import { listMembersPage, membersOfChannels } from "../chat/queries/members";
import { findUser } from "../chat/queries/users";
import { LIMITS, readConfig } from "../config";
import { dest, type RelayQuery, type RelayRoute } from "./destinations";
import {
  cursorRelayPage,
  numberedRelayPage,
  toChatChannel,
  toChatMessage,
  toChatUser,
  toCurrentUser,
  toEphemeralChatMessage,
} from "./presenters";
import type { SessionContext } from "./session-context";

/** A relay's numbered page; out-of-range values fall back to the defaults rather than fail. */
const pageQuery = (q: RelayQuery) => {
  const page = /^\d{1,9}$/.test(q.page ?? "") ? Number(q.page) : 0;
  const size = /^\d{1,3}$/.test(q.size ?? "") ? Math.min(Math.max(Number(q.size), 1), LIMITS.maxPageSize) : LIMITS.relayPageSize;
  return { page, size };
};

/** Channels in the SDK's shape; DIRECT ones with their members (one query for the lot). */
export const presentChannels = async (ctx: SessionContext, rows: VisibleChannel[]) => {
  const direct = rows.filter((ch) => ch.type === "DIRECT").map((ch) => ch.id);
  const members = await membersOfChannels(ctx.db, ctx.applicationId, direct);
  return rows.map((ch) => toChatChannel(ch, members.get(ch.id)));
};

const presentChannel = async (ctx: SessionContext, channelId: number) =>
  (await presentChannels(ctx, [await channelForUser(ctx, ctx.userId, channelId)]))[0]!;

const CHANNEL_LISTS: Record<string, [ChannelListKind, string]> = {
  meChannels: ["member", dest.meChannels],
  meJoinableChannels: ["joinable", dest.meJoinableChannels],
  meUnreadChannels: ["unread", dest.meUnreadChannels],
};

export const fileGrant = async (ctx: SessionContext, purpose: "file:read" | "file:write") => {
  const config = readConfig(ctx.env);
  const claims = {
    applicationId: ctx.applicationId,
    userId: ctx.userId,
    purpose,
    ...(ctx.tokenId !== undefined ? { tokenId: ctx.tokenId } : {}),
  };
  const grant = await signGrant(await currentSigningKey(ctx.env.JWT_PRIVATE_KEY), claims, {
    issuer: config.tokenIssuer,
    ttlSeconds: config.tokenTtlSeconds,
  });
  return { grant };
};

/** A cursor page of a channel's messages; one extra message says whether an older page exists (`start` is inclusive). */
const messagesPage = async (ctx: SessionContext, channelId: number, query: RelayQuery) => {
  const channel = await channelForUser(ctx, ctx.userId, channelId);
  const { size } = pageQuery(query);
  const start = /^\d{1,15}$/.test(query.start ?? "") ? Number(query.start) : undefined;
  const relay = dest.channelMessages(channelId);
  const list = await listMessages(ctx, channel, start, size + 1);
  if ("held" in list) {
    const shown = list.held.slice(0, size);
    const next = list.held.length > size ? shown[shown.length - 1]!.seq - 1 : undefined;
    return cursorRelayPage(
      shown.map((m) => toEphemeralChatMessage(channelId, m)),
      relay,
      size,
      next,
    );
  }
  const shown = list.saved.slice(0, size);
  const next = list.saved.length > size ? shown[shown.length - 1]!.id - 1 : undefined;
  return cursorRelayPage(shown.map(toChatMessage), relay, size, next);
};

/** The resource a relay answers with. */
export const answerRelay = async (ctx: SessionContext, route: RelayRoute): Promise<unknown> => {
  switch (route.name) {
    case "me": {
      const user = await findUser(ctx.db, ctx.applicationId, ctx.userId);
      if (!user) throw sessionUserDeleted();
      return toCurrentUser(user);
    }
    case "meReadGrant":
      return fileGrant(ctx, "file:read");
    case "meWriteGrant":
      return fileGrant(ctx, "file:write");
    case "meChannels":
    case "meJoinableChannels":
    case "meUnreadChannels": {
      const [kind, relay] = CHANNEL_LISTS[route.name]!;
      const { page, size } = pageQuery(route.query);
      const { rows, total } = await listChannelsOfUser(ctx.db, ctx.applicationId, ctx.userId, kind, page * size, size);
      return numberedRelayPage("channels", await presentChannels(ctx, rows), relay, page, size, total);
    }
    case "meUnreadCount":
      return { count: await countUnreadChannels(ctx.db, ctx.applicationId, ctx.userId) };
    case "user": {
      const user = await findUser(ctx.db, ctx.applicationId, route.id);
      if (!user) throw userNotFound(route.id);
      return toChatUser(user);
    }
    case "channel":
      return presentChannel(ctx, route.id);
    case "channelUnread": {
      await channelForUser(ctx, ctx.userId, route.id);
      return { exists: await channelHasUnread(ctx.db, ctx.applicationId, ctx.userId, route.id) };
    }
    case "channelMembers": {
      await channelForUser(ctx, ctx.userId, route.id);
      const { page, size } = pageQuery(route.query);
      const { rows, total } = await listMembersPage(ctx.db, ctx.applicationId, route.id, page * size, size);
      return numberedRelayPage("users", rows.map(toChatUser), dest.channelMembers(route.id), page, size, total);
    }
    case "channelMessages":
      return messagesPage(ctx, route.id, route.query);
    default:
      // The current dialect's relays (current-relays.ts): the 2020 SDK has no links to them.
      throw new ChatError("UnknownDestinationError", `No relay ${route.name} in this dialect`);
  }
};
