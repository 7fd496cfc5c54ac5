/**
 * Resources in the shapes the current ChatKitty SDK reads (shared/spec/stompx-current.md §15):
 * the 2020 shapes with the full link groups, presence, reactions and replies. Link strings come
 * only from `destinations.ts`, and every one is distinct (the SDK routes events by topic string).
 */
import type { Emoji } from "../chat/emoji";
import { notificationText } from "../chat/notifications";
import type { MessageExtras } from "../chat/message-extras";
import type { EphemeralMessage } from "../chat/live";
import type { VisibleChannel } from "../chat/queries/channels";
import type { MessageRow } from "../chat/queries/messages";
import type { UserRow } from "../chat/queries/users";
import { isOpenToAll } from "../chat/rules";
import type { ThreadRow } from "../chat/queries/threads";
import { CHANNEL_TOPICS, currentDest as cd, dest, THREAD_TOPICS, USER_TOPICS } from "./destinations";

/** Group channels (not DIRECT, not OPEN) take invites, moderators and leaving. */
const isGroup = (type: string) => type === "PUBLIC" || type === "PRIVATE";

const camel = (name: string) => name.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase());

const presenceOf = (online: boolean) => ({ status: online ? "AVAILABLE" : "UNAVAILABLE", online });

export const toUser = (u: UserRow, online = false) => ({
  id: u.id,
  type: "PERSON",
  name: u.name,
  displayName: u.displayName ?? u.name,
  ...(u.displayPictureUrl ? { displayPictureUrl: u.displayPictureUrl } : {}),
  isGuest: u.isGuest,
  presence: presenceOf(online),
  properties: u.properties ?? {},
  _relays: { self: dest.user(u.id), channelMember: cd.userChannelMember(u.id) },
});

/** The connection's own user: online by definition (it is connected). */
export const toCurrentUser = (u: UserRow) => ({
  ...toUser(u, true),
  _relays: {
    self: cd.me,
    readFileAccessGrant: cd.meReadGrant,
    writeFileAccessGrant: cd.meWriteGrant,
    channelsCount: cd.meChannelsCount,
    channels: dest.meChannels,
    messages: cd.meMessages,
    joinableChannels: dest.meJoinableChannels,
    unreadChannelsCount: dest.meUnreadCount,
    unreadChannels: dest.meUnreadChannels,
    unreadMessagesCount: cd.meUnreadMessagesCount,
    contactsCount: cd.meContactsCount,
    contacts: cd.meContacts,
    userBlockListItems: cd.meBlockList,
    userBlockedRecords: cd.meBlockList,
  },
  _topics: Object.fromEntries(USER_TOPICS.map((name) => [name === "" ? "self" : camel(name), cd.userTopic(u.id, name)])),
  _actions: { update: dest.meUpdate, createChannel: dest.meCreateChannel, updateDisplayPicture: cd.meUpdateDisplayPicture },
  _streams: { displayPicture: cd.meDisplayPictureStream },
});

/** What a channel's viewer is to it, beyond membership: the links and `muted` depend on it. */
export interface ChannelViewer {
  isModerator: boolean;
  muted: boolean;
}

/**
 * A channel as one user sees it (§15.4): `join` while they could join and have not; `leave`,
 * `invite` on group channels they belong to; `addModerator` for their creator and moderators.
 */
export const toChannel = (ch: VisibleChannel, viewer: { userId: number } & Partial<ChannelViewer>, directMembers: UserRow[] = []) => {
  const id = ch.id;
  const group = isGroup(ch.type);
  const canModerate = group && ch.isMember && (ch.creatorId === viewer.userId || viewer.isModerator === true);
  const action = (verb: string) => cd.channelAction(id, verb);
  return {
    id,
    type: ch.type,
    ...(ch.type !== "DIRECT" && ch.name !== "" ? { name: ch.name, displayName: ch.displayName ?? ch.name } : {}),
    createdTime: ch.createdAt.toISOString(),
    properties: ch.properties ?? {},
    muted: viewer.muted === true,
    ...(ch.type === "DIRECT" ? { members: directMembers.map((u) => toUser(u)) } : {}),
    _relays: {
      self: dest.channel(id),
      messages: dest.channelMessages(id),
      messagesCount: cd.channelRelay(id, "messages.count"),
      lastReceivedMessage: cd.channelRelay(id, "last-received-message"),
      lastReadMessage: cd.channelRelay(id, "last-read-message"),
      unread: dest.channelUnread(id),
      ...(ch.type !== "DIRECT" ? { members: dest.channelMembers(id) } : {}),
      threads: cd.channelRelay(id, "threads"),
    },
    _topics: Object.fromEntries(CHANNEL_TOPICS.map((name) => [name === "" ? "self" : camel(name), cd.channelTopic(id, name)])),
    _actions: {
      message: dest.channelMessage(id),
      keystrokes: action("keystrokes"),
      read: dest.channelRead(id),
      mute: action("mute"),
      triggerEvent: action("trigger-event"),
      update: action("update"),
      delete: action("delete"),
      clearHistory: action("clear-history"),
      hide: action("hide"),
      createThread: action("create-thread"),
      ...(isOpenToAll(ch.type) && !ch.isMember ? { join: dest.channelJoin(id) } : {}),
      ...(group && ch.isMember ? { leave: action("leave"), invite: action("invite") } : {}),
      ...(canModerate ? { addModerator: action("add-moderator") } : {}),
    },
    _streams: { messages: dest.channelStream(id) },
  };
};

/** A reaction (§15.8): the receiving SDK relays `_relays.message` before calling back. */
export const toReaction = (r: { messageId: number; emoji: Emoji; user: UserRow; createdAt: Date }) => ({
  emoji: r.emoji,
  user: toUser(r.user),
  createdTime: r.createdAt.toISOString(),
  _relays: { message: cd.message(r.messageId) },
});

/** An entry of the user's block list (§12.6, §15.12): deleting it unblocks the user. */
export const toBlockListItem = (item: { user: UserRow; createdAt: Date }) => ({
  user: toUser(item.user),
  createdTime: item.createdAt.toISOString(),
  _actions: { delete: cd.blockListItemDelete(item.user.id) },
});

/** A read receipt (§15.8) of a message. */
export const toReadReceipt = (messageId: number, r: { user: UserRow; createdAt: Date }) => ({
  user: toUser(r.user),
  createdTime: r.createdAt.toISOString(),
  _relays: { message: cd.message(messageId) },
});

const publicFile = ({ key: _key, ...file }: { key?: string; type: string; url: string; name: string; contentType: string; size: number }) =>
  file;

/**
 * A persisted message (§15.5). Exactly one of `body` and `file`; `edit` and `delete` are offered on
 * every message (whether the viewer may is checked when they act: the links of one event are
 * shared by all its recipients).
 */
export const toMessage = (
  m: Pick<MessageRow, "id" | "type" | "body" | "file" | "createdAt" | "channelId" | "properties" | "user" | "groupTag" | "lastEditedAt"> & {
    parentId?: number | null;
    threadId?: number | null;
  },
  extras: Partial<MessageExtras> = {},
) => {
  const id = m.id;
  const relay = (name: string) => cd.messageRelay(id, name);
  const action = (verb: string) => cd.messageAction(id, verb);
  return {
    id,
    type: m.type,
    channelId: m.channelId,
    ...(m.file ? { file: publicFile(m.file) } : { body: m.body ?? "", links: [], mentions: [] }),
    createdTime: m.createdAt.toISOString(),
    ...(m.lastEditedAt ? { lastEditedTime: m.lastEditedAt.toISOString() } : {}),
    nestedLevel: m.parentId ? 1 : 0,
    ...(m.threadId ? { threadId: m.threadId } : {}),
    ...(m.groupTag ? { groupTag: m.groupTag } : {}),
    properties: m.properties ?? {},
    reactions: (extras.reactions ?? []).map((r) => ({ emoji: r.emoji, users: r.users.map((u) => toUser(u)), count: r.count })),
    repliesCount: extras.repliesCount ?? 0,
    ...(m.user ? { user: toUser(m.user) } : {}),
    _relays: {
      self: cd.message(id),
      channel: relay("channel"),
      readReceipts: relay("read-receipts"),
      repliesCount: relay("replies.count"),
      replies: relay("replies"),
      reactions: relay("reactions"),
      ...(m.parentId ? { parent: cd.message(m.parentId) } : {}),
    },
    _actions: {
      read: dest.messageRead(id),
      reply: action("reply"),
      deleteForMe: action("delete-for-me"),
      react: action("react"),
      removeReaction: action("remove-reaction"),
      edit: action("edit"),
      delete: action("delete"),
    },
    _streams: { replies: cd.messageRepliesStream(id) },
  };
};

/** A standalone thread (§15.9). */
export const toThread = (t: ThreadRow) => ({
  id: t.id,
  type: "STANDALONE",
  name: t.name,
  properties: t.properties,
  createdTime: t.createdAt.toISOString(),
  _relays: { self: cd.thread(t.id), channel: cd.threadRelay(t.id, "channel"), messages: cd.threadRelay(t.id, "messages") },
  _topics: Object.fromEntries(THREAD_TOPICS.map((name) => [name === "" ? "self" : name, cd.threadTopic(t.id, name)])),
  _actions: {
    message: cd.threadAction(t.id, "message"),
    keystrokes: cd.threadAction(t.id, "keystrokes"),
    read: cd.threadAction(t.id, "read"),
  },
  _streams: { messages: cd.threadStream(t.id) },
});

/** An OPEN channel's message: never persisted, so no id and no links to act on it. */
export const toEphemeralMessage = (channelId: number, m: EphemeralMessage) => ({
  type: m.type,
  channelId,
  ...(m.file ? { file: publicFile(m.file) } : { body: m.body ?? "", links: [], mentions: [] }),
  createdTime: m.createdTime,
  nestedLevel: 0,
  properties: {},
  reactions: [],
  repliesCount: 0,
  ...(m.user ? { user: { ...m.user, type: "PERSON", presence: presenceOf(false), properties: {} } } : {}),
  _relays: {},
  _actions: {},
});

/** `{type, version, resource}`: the envelope of every event and result (§3.1). */
export const envelope = (type: string, resource: unknown) => JSON.stringify({ type, version: "v1", resource });

/** A Notification about a message (§15.11), for a member other than its sender. */
export const toNotification = (
  channel: unknown,
  message: { body?: string; user?: { displayName: string } } & (ReturnType<typeof toMessage> | ReturnType<typeof toEphemeralMessage>),
) => ({
  ...notificationText({ body: message.body, senderDisplayName: message.user?.displayName }),
  channel,
  data: {
    type: message.user ? "USER:SENT:MESSAGE" : "SYSTEM:SENT:MESSAGE",
    message,
  },
  muted: false,
  createdTime: new Date().toISOString(),
  readTime: null,
});

/** Keystrokes (§15.8); `_relays.user` only (the SDK reads neither). */
export const toKeystrokes = (user: { id: number; name: string }, keys: string) => ({
  username: user.name,
  keys,
  _relays: { user: dest.user(user.id) },
});

/** A custom event (§15.8); the back end's have no `user`. */
export const toEvent = (channelId: number, event: { type: string; properties: Record<string, unknown> }, user?: UserRow) => ({
  type: event.type,
  ...(user ? { user: toUser(user) } : {}),
  properties: event.properties,
  _relays: { channel: dest.channel(channelId) },
});
