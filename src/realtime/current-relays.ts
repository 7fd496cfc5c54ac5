/**
 * What each current-dialect relay answers (stompx-current.md §16.2), for one connection's user:
 * resources in the current SDK's shapes (`current-presenters.ts`), read through the operations and
 * queries every transport shares. Parameters arrive as strings (headers, or a page link's query).
 */
import { listBlocks } from "../chat/blocks";
import { channelForUser } from "../chat/channels";
import { countContacts, listContacts, onlineUserIds } from "../chat/contacts";
import { ChatError, messageNotFound, sessionUserDeleted, userNotFound } from "../chat/errors";
import { listMessages } from "../chat/messages";
import {
  countReplies,
  countUnreadMessages,
  countVisibleMessages,
  findMessageForViewer,
  listReplies,
  listThreadMessages,
  listVisibleMessages,
} from "../chat/queries/message-views";
import { listThreadsPage } from "../chat/queries/threads";
import { threadForUser } from "../chat/threads";
import type { MessageRow } from "../chat/queries/messages";
import { messageExtras } from "../chat/message-extras";
import { listReactions } from "../chat/reactions";
import { listReadReceipts } from "../chat/read-receipts";
import { isEphemeral } from "../chat/rules";
import {
  type ChannelListKind,
  channelHasUnread,
  countUnreadChannels,
  listChannelsOfUser,
  type VisibleChannel,
} from "../chat/queries/channels";
import { channelViewers, isChannelMember, listMembersPage, membersOfChannels, readMarker } from "../chat/queries/members";
import { findUser, findUsersByIdOrName } from "../chat/queries/users";
import { LIMITS } from "../config";
import { cursorRelayPage, numberedRelayPage } from "./presenters";
import {
  toBlockListItem,
  toChannel,
  toCurrentUser,
  toEphemeralMessage,
  toMessage,
  toReaction,
  toReadReceipt,
  toThread,
  toUser,
} from "./current-presenters";
import { currentDest, dest, type RelayQuery, type RelayRoute } from "./destinations";
import { fileGrant } from "./relays";
import type { SessionContext } from "./session-context";

/** A relay's numbered page; out-of-range values fall back to the defaults rather than fail. */
const pageQuery = (q: RelayQuery) => {
  const page = /^\d{1,9}$/.test(q.page ?? "") ? Number(q.page) : 0;
  const size = /^\d{1,3}$/.test(q.size ?? "") ? Math.min(Math.max(Number(q.size), 1), LIMITS.maxPageSize) : LIMITS.relayPageSize;
  return { page, size };
};

const flag = (q: RelayQuery, name: string) => q[name] === "true";

/** Channels as the session's user sees them: DIRECT ones with their members, with the user's moderator role and mute. */
export const presentChannelsFor = async (ctx: SessionContext, rows: VisibleChannel[]) => {
  const direct = rows.filter((ch) => ch.type === "DIRECT").map((ch) => ch.id);
  const joined = rows.filter((ch) => ch.isMember).map((ch) => ch.id);
  const [members, viewers] = await Promise.all([
    membersOfChannels(ctx.db, ctx.applicationId, direct),
    channelViewers(ctx.db, ctx.applicationId, ctx.userId, joined),
  ]);
  return rows.map((ch) => toChannel(ch, { userId: ctx.userId, ...viewers.get(ch.id) }, members.get(ch.id)));
};

const CHANNEL_LISTS: Record<string, [ChannelListKind, string]> = {
  meChannels: ["member", dest.meChannels],
  meJoinableChannels: ["joinable", dest.meJoinableChannels],
  meUnreadChannels: ["unread", dest.meUnreadChannels],
};

/** Messages as the session's user sees them: with their reactions and how many replies each has. */
const presentMessages = async (ctx: SessionContext, rows: MessageRow[]) => {
  const extrasOf = await messageExtras(
    ctx.db,
    ctx.applicationId,
    rows.map((m) => m.id),
  );
  return rows.map((m) => toMessage(m, extrasOf(m.id)));
};

/** One message the session's user sees, presented. */
export const presentMessage = async (ctx: SessionContext, message: MessageRow) => (await presentMessages(ctx, [message]))[0]!;

/** The `start` of a cursor page: the newest key it may hold. */
const startOf = (query: RelayQuery) => (/^\d{1,15}$/.test(query.start ?? "") ? Number(query.start) : undefined);

/** A cursor page of persisted messages, newest first, read with one extra row that says whether an older page exists. */
const savedPage = async (
  ctx: SessionContext,
  relay: string,
  query: RelayQuery,
  read: (page: { before: number | undefined; limit: number }) => Promise<MessageRow[]>,
) => {
  const { size } = pageQuery(query);
  const start = startOf(query);
  const rows = await read({ before: start === undefined ? undefined : start + 1, limit: size + 1 });
  const shown = rows.slice(0, size);
  const next = rows.length > size ? shown[shown.length - 1]!.id - 1 : undefined;
  return cursorRelayPage(await presentMessages(ctx, shown), relay, size, next);
};

/**
 * A channel's messages the user sees, newest first (§6.5): an OPEN channel's from its room, others'
 * from D1 (`mainThread=true`: no replies).
 */
const channelMessagesPage = async (ctx: SessionContext, channelId: number, query: RelayQuery) => {
  const channel = await channelForUser(ctx, ctx.userId, channelId);
  const relay = dest.channelMessages(channelId);
  if (isEphemeral(channel.type)) {
    const { size } = pageQuery(query);
    const list = await listMessages(ctx, channel, startOf(query), size + 1);
    const held = "held" in list ? list.held : [];
    const shown = held.slice(0, size);
    const next = held.length > size ? shown[shown.length - 1]!.seq - 1 : undefined;
    return cursorRelayPage(
      shown.map((m) => toEphemeralMessage(channelId, m)),
      relay,
      size,
      next,
    );
  }
  const mainThread = flag(query, "mainThread");
  return savedPage(ctx, relay, query, (page) =>
    listVisibleMessages(ctx.db, ctx.applicationId, ctx.userId, channelId, { ...page, mainThread }),
  );
};

/** A message the session's user sees (not deleted for them, not from someone they blocked, in a channel they see). */
const viewedMessage = async (ctx: SessionContext, messageId: number) => {
  const viewed = await findMessageForViewer(ctx.db, ctx.applicationId, ctx.userId, messageId);
  if (!viewed) throw messageNotFound(messageId);
  return viewed;
};

/** `username` names another member; absent (or the SDK's literal "undefined"): the session's user. */
const namedUser = async (ctx: SessionContext, username: string | undefined) => {
  if (username === undefined) return ctx.userId;
  const [user] = await findUsersByIdOrName(ctx.db, ctx.applicationId, [], [username]);
  if (!user) throw new ChatError("UserNotFoundError", `No user ${username} in this application`);
  return user.id;
};

/** The newest message the user has read in the channel (§6.5), as they see it; none: MessageNotFoundError. */
const lastReadMessage = async (ctx: SessionContext, channelId: number, query: RelayQuery) => {
  await channelForUser(ctx, ctx.userId, channelId);
  const userId = await namedUser(ctx, query.username);
  const marker = await readMarker(ctx.db, ctx.applicationId, channelId, userId);
  const [message] = marker ? await listVisibleMessages(ctx.db, ctx.applicationId, userId, channelId, { before: marker + 1, limit: 1 }) : [];
  if (!message) throw new ChatError("MessageNotFoundError", `No message of channel ${channelId} was read yet`);
  return presentMessage(ctx, message);
};

/** Contacts' filters (§11.2), from the relay's parameters. */
const contactFilter = (query: RelayQuery) => ({
  name: query.name,
  displayName: query.displayName,
  online: query.online === "true" ? true : query.online === "false" ? false : undefined,
});

/** The resource a relay answers with. */
export const answerCurrentRelay = async (ctx: SessionContext, route: RelayRoute): Promise<unknown> => {
  const { query } = route;
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
      const { page, size } = pageQuery(query);
      const { rows, total } = await listChannelsOfUser(ctx.db, ctx.applicationId, ctx.userId, kind, page * size, size, {
        name: query.name,
      });
      return numberedRelayPage("channels", await presentChannelsFor(ctx, rows), relay, page, size, total);
    }
    case "meChannelsCount":
      if (flag(query, "unread")) return { count: await countUnreadChannels(ctx.db, ctx.applicationId, ctx.userId, query.type) };
      return { count: (await listChannelsOfUser(ctx.db, ctx.applicationId, ctx.userId, "member", 0, 1)).total };
    case "meUnreadCount":
      return { count: await countUnreadChannels(ctx.db, ctx.applicationId, ctx.userId) };
    case "meUnreadMessagesCount":
      return { count: await countUnreadMessages(ctx.db, ctx.applicationId, ctx.userId) };
    case "meContacts": {
      const { page, size } = pageQuery(query);
      const { rows, total } = await listContacts(ctx, ctx.userId, contactFilter(query), page * size, size);
      return numberedRelayPage(
        "users",
        rows.map((u) => toUser(u, u.online)),
        currentDest.meContacts,
        page,
        size,
        total,
      );
    }
    case "meContactsCount":
      return { count: await countContacts(ctx, ctx.userId, contactFilter(query)) };
    case "meBlockList": {
      const { page, size } = pageQuery(query);
      const { rows, total } = await listBlocks(ctx, ctx.userId, page * size, size);
      return numberedRelayPage("items", rows.map(toBlockListItem), currentDest.meBlockList, page, size, total);
    }
    case "user": {
      const [user, online] = await Promise.all([
        findUser(ctx.db, ctx.applicationId, route.id),
        onlineUserIds(ctx.db, ctx.applicationId, [route.id]),
      ]);
      if (!user) throw userNotFound(route.id);
      return toUser(user, online.has(user.id));
    }
    case "userChannelMember": {
      const channelId = /^\d{1,15}$/.test(query.channelId ?? "") ? Number(query.channelId) : undefined;
      if (channelId === undefined) throw new ChatError("InvalidRequestError", "channelId is required");
      await channelForUser(ctx, ctx.userId, channelId);
      return { exists: await isChannelMember(ctx.db, ctx.applicationId, channelId, route.id) };
    }
    case "channel":
      return (await presentChannelsFor(ctx, [await channelForUser(ctx, ctx.userId, route.id)]))[0];
    case "channelUnread":
      await channelForUser(ctx, ctx.userId, route.id);
      return { exists: await channelHasUnread(ctx.db, ctx.applicationId, ctx.userId, route.id) };
    case "channelMembers": {
      await channelForUser(ctx, ctx.userId, route.id);
      const { page, size } = pageQuery(query);
      const { rows, total } = await listMembersPage(ctx.db, ctx.applicationId, route.id, page * size, size);
      const online = await onlineUserIds(
        ctx.db,
        ctx.applicationId,
        rows.map((u) => u.id),
      );
      return numberedRelayPage(
        "users",
        rows.map((u) => toUser(u, online.has(u.id))),
        dest.channelMembers(route.id),
        page,
        size,
        total,
      );
    }
    case "channelMessages":
      return channelMessagesPage(ctx, route.id, query);
    case "channelMessagesCount": {
      await channelForUser(ctx, ctx.userId, route.id);
      const count = flag(query, "unread")
        ? await countUnreadMessages(ctx.db, ctx.applicationId, ctx.userId, route.id)
        : await countVisibleMessages(ctx.db, ctx.applicationId, ctx.userId, route.id);
      return { count };
    }
    case "channelLastReadMessage":
      return lastReadMessage(ctx, route.id, query);
    case "message":
      return presentMessage(ctx, (await viewedMessage(ctx, route.id)).message);
    case "messageChannel": {
      const { channel } = await viewedMessage(ctx, route.id);
      return (await presentChannelsFor(ctx, [await channelForUser(ctx, ctx.userId, channel.id)]))[0];
    }
    case "channelThreads": {
      await channelForUser(ctx, ctx.userId, route.id);
      const { page, size } = pageQuery(query);
      const { rows, total } = await listThreadsPage(ctx.db, ctx.applicationId, route.id, page * size, size);
      return numberedRelayPage("threads", rows.map(toThread), currentDest.channelRelay(route.id, "threads"), page, size, total);
    }
    case "thread":
      return toThread((await threadForUser(ctx, ctx.userId, route.id)).thread);
    case "threadChannel": {
      const { channel } = await threadForUser(ctx, ctx.userId, route.id);
      return (await presentChannelsFor(ctx, [channel]))[0];
    }
    case "threadMessages": {
      await threadForUser(ctx, ctx.userId, route.id);
      return savedPage(ctx, currentDest.threadRelay(route.id, "messages"), query, (page) =>
        listThreadMessages(ctx.db, ctx.applicationId, ctx.userId, route.id, page),
      );
    }
    case "messageReplies": {
      await viewedMessage(ctx, route.id);
      return savedPage(ctx, currentDest.messageRelay(route.id, "replies"), query, (page) =>
        listReplies(ctx.db, ctx.applicationId, ctx.userId, route.id, page),
      );
    }
    case "messageRepliesCount":
      await viewedMessage(ctx, route.id);
      return { count: (await countReplies(ctx.db, ctx.applicationId, [route.id])).get(route.id) ?? 0 };
    case "messageReactions": {
      await viewedMessage(ctx, route.id);
      const { page, size } = pageQuery(query);
      const { rows, total } = await listReactions(ctx.db, ctx.applicationId, route.id, page * size, size);
      return numberedRelayPage("reactions", rows.map(toReaction), currentDest.messageRelay(route.id, "reactions"), page, size, total);
    }
    case "messageReadReceipts": {
      const { page, size } = pageQuery(query);
      const { rows, total } = await listReadReceipts(ctx, ctx.userId, route.id, page * size, size);
      return numberedRelayPage(
        "receipts",
        rows.map((r) => toReadReceipt(route.id, r)),
        currentDest.messageRelay(route.id, "read-receipts"),
        page,
        size,
        total,
      );
    }
    default:
      throw new ChatError("UnknownDestinationError", `This server does not answer ${route.name} yet`);
  }
};
