/**
 * Resources in the shapes the ChatKitty SDK parses (shared/spec/stompx-protocol.md §5): users,
 * the current user with its link groups, channels as one viewer sees them, messages, pages with
 * `_relays`. Link groups come only from `destinations.ts`.
 */
import { notificationText } from "../chat/notifications";
import type { EphemeralMessage } from "../chat/live";
import type { VisibleChannel } from "../chat/queries/channels";
import type { MessageRow } from "../chat/queries/messages";
import type { UserRow } from "../chat/queries/users";
import { isOpenToAll } from "../chat/rules";
import { dest, withRelayQuery } from "./destinations";

export const toChatUser = (u: UserRow) => ({
  id: u.id,
  name: u.name,
  displayName: u.displayName ?? u.name,
  ...(u.displayPictureUrl ? { displayPictureUrl: u.displayPictureUrl } : {}),
  isGuest: u.isGuest,
  properties: u.properties ?? {},
});

export const toCurrentUser = (u: UserRow) => ({
  ...toChatUser(u),
  _relays: {
    self: dest.me,
    readFileAccessGrant: dest.meReadGrant,
    writeFileAccessGrant: dest.meWriteGrant,
    channels: dest.meChannels,
    joinableChannels: dest.meJoinableChannels,
    unreadChannelsCount: dest.meUnreadCount,
    unreadChannels: dest.meUnreadChannels,
  },
  _topics: { channels: dest.userChannelsTopic(u.id), notifications: dest.userNotificationsTopic(u.id) },
  _actions: { update: dest.meUpdate, createChannel: dest.meCreateChannel },
});

/**
 * A channel as one user sees it: `join` only while a user could join it and has not. DIRECT
 * channels carry their `members` instead of a members relay (whose presence tells the SDK "group
 * channel").
 */
export const toChatChannel = (ch: VisibleChannel, directMembers: UserRow[] = []) => ({
  id: ch.id,
  type: ch.type,
  ...(ch.name !== "" ? { name: ch.name } : {}),
  properties: ch.properties ?? {},
  ...(ch.type === "DIRECT" ? { members: directMembers.map(toChatUser) } : {}),
  _relays: {
    self: dest.channel(ch.id),
    messages: dest.channelMessages(ch.id),
    unread: dest.channelUnread(ch.id),
    ...(ch.type !== "DIRECT" ? { members: dest.channelMembers(ch.id) } : {}),
  },
  _topics: { self: dest.channelTopic(ch.id), messages: dest.channelMessagesTopic(ch.id) },
  _actions: {
    message: dest.channelMessage(ch.id),
    read: dest.channelRead(ch.id),
    ...(isOpenToAll(ch.type) && !ch.isMember ? { join: dest.channelJoin(ch.id) } : {}),
  },
  _streams: { messages: dest.channelStream(ch.id) },
});

/**
 * A persisted message. Exactly one of `body` and `file` is present: the SDK tells text from
 * file messages by which key exists, and a `file: null` would break its URL rewrite.
 */
export const toChatMessage = (
  m: Pick<MessageRow, "id" | "type" | "body" | "file" | "createdAt" | "channelId" | "properties" | "user">,
) => ({
  id: m.id,
  type: m.type,
  ...(m.file ? { file: publicFile(m.file) } : { body: m.body ?? "" }),
  createdTime: m.createdAt.toISOString(),
  channelId: m.channelId,
  properties: m.properties ?? {},
  ...(m.user ? { user: toChatUser(m.user) } : {}),
  _actions: { read: dest.messageRead(m.id) },
});

/** An OPEN channel's message: no id and no read action, because it is never persisted. */
export const toEphemeralChatMessage = (channelId: number, m: EphemeralMessage) => ({
  type: m.type,
  ...(m.file ? { file: publicFile(m.file) } : { body: m.body ?? "" }),
  createdTime: m.createdTime,
  channelId,
  properties: {},
  ...(m.user ? { user: { ...m.user, properties: {} } } : {}),
});

const publicFile = ({ key: _key, ...file }: { key?: string; type: string; url: string; name: string; contentType: string; size: number }) =>
  file;

/** A numbered page as a relay resource; `_relays` is always present (the SDK reads it blindly). */
export const numberedRelayPage = <T>(name: string, items: T[], relay: string, page: number, size: number, total: number) => {
  const totalPages = Math.ceil(total / size);
  const at = (p: number) => withRelayQuery(relay, { page: p, size });
  return {
    _embedded: { [name]: items },
    page: { size, totalElements: total, totalPages, number: page },
    _relays: {
      self: at(page),
      first: at(0),
      last: at(Math.max(totalPages - 1, 0)),
      ...(page > 0 ? { prev: at(Math.min(page - 1, Math.max(totalPages - 1, 0))) } : {}),
      ...(page < totalPages - 1 ? { next: at(page + 1) } : {}),
    },
  };
};

/** A cursor page of messages, newest first; `next` leads to older ones. */
export const cursorRelayPage = <T>(items: T[], relay: string, size: number, nextStart: number | undefined) => ({
  _embedded: { messages: items },
  page: { size: items.length },
  _relays: {
    self: withRelayQuery(relay, { size }),
    ...(nextStart !== undefined ? { next: withRelayQuery(relay, { start: nextStart, size }) } : {}),
  },
});

/** The body of a `thread.message.created` event (the SDK compares this type exactly). */
export const messageCreatedEvent = (message: unknown) =>
  JSON.stringify({ type: "thread.message.created", version: "v1", resource: message });

/** A Notification (spec §5.7) telling a member about a message in a channel. */
export const messageNotification = (
  channel: { id: number; name: string },
  message: { type: string; body?: string; file?: { name: string }; user?: { displayName: string } },
) =>
  JSON.stringify({
    ...notificationText({ body: message.body, senderDisplayName: message.user?.displayName }),
    data: { type: message.user ? "USER_SENT_MESSAGE" : "SYSTEM_SENT_MESSAGE", channelId: channel.id, message },
    createdTime: new Date().toISOString(),
    readTime: null,
  });

/**
 * A custom event from the application's back end for a channel's live sessions: the current
 * dialect's `channel.event.triggered` with an Event (stompx-current.md §13, §15.8), without `user`
 * (the back end is nobody). Clients of the 2020 dialect ignore the type.
 */
export const channelEventTriggered = (channelId: number, event: { type: string; properties: Record<string, unknown> }) =>
  JSON.stringify({
    type: "channel.event.triggered",
    version: "v1",
    resource: { type: event.type, properties: event.properties, _relays: { channel: dest.channel(channelId) } },
  });

/**
 * What a user is typing, for the others watching the channel: the current dialect's
 * `thread.keystrokes.created` with Keystrokes (stompx-current.md §7.1, §15.8). Its `_relays`
 * (which the SDK does not read) has the user's relay only: this server has no thread relays.
 */
export const keystrokesCreated = (user: { id: number; name: string }, keys: string) =>
  JSON.stringify({
    type: "thread.keystrokes.created",
    version: "v1",
    resource: { username: user.name, keys, _relays: { user: dest.user(user.id) } },
  });
