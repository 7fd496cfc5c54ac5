/**
 * The only module that knows StompX destination strings (shared/spec/stompx-protocol.md §7 for the
 * 2020 dialect, stompx-current.md §15–§16 for the current one). Links handed to the SDK are built
 * here, and every destination a client sends is parsed here into a typed route, so handlers never
 * look at strings. The current dialect's scheme extends the 2020 one: every string both dialects
 * use is the same. Destinations never contain `:`, so no header escaping is ever needed for them.
 */

export const ERRORS_QUEUE = "/user/queue/v1/errors";

/** The sub-topics of a user (`/topic/v1/users/{u}/<name>`; "" is the user's own topic). */
export const USER_TOPICS = [
  "",
  "channels",
  "messages",
  "notifications",
  "contacts",
  "participants",
  "users",
  "reactions",
  "threads",
  "calls",
  "read-receipts",
  "elements",
  "features",
  "styles",
] as const;
export type UserTopic = (typeof USER_TOPICS)[number];

/** The sub-topics of a channel (`/topic/v1/channels/{c}/<name>`; "" is the channel's self topic). */
export const CHANNEL_TOPICS = ["", "messages", "keystrokes", "typing", "participants", "read-receipts", "reactions", "events"] as const;
export type ChannelTopic = (typeof CHANNEL_TOPICS)[number];

export const THREAD_TOPICS = ["", "messages", "keystrokes", "typing"] as const;
export type ThreadTopic = (typeof THREAD_TOPICS)[number];

const sub = (base: string, name: string) => (name === "" ? base : `${base}/${name}`);

export const dest = {
  me: "/application/v1/users/me.relay",
  meReadGrant: "/application/v1/users/me/read-file-access-grant.relay",
  meWriteGrant: "/application/v1/users/me/write-file-access-grant.relay",
  meChannels: "/application/v1/users/me/channels.relay",
  meJoinableChannels: "/application/v1/users/me/joinable-channels.relay",
  meUnreadCount: "/application/v1/users/me/unread-channels.count.relay",
  meUnreadChannels: "/application/v1/users/me/unread-channels.relay",
  meUpdate: "/application/v1/users/me.update",
  meCreateChannel: "/application/v1/users/me.create-channel",
  user: (id: number) => `/application/v1/users/${id}.relay`,
  userChannelsTopic: (userId: number) => `/topic/v1/users/${userId}/channels`,
  userNotificationsTopic: (userId: number) => `/topic/v1/users/${userId}/notifications`,
  channel: (id: number) => `/application/v1/channels/${id}.relay`,
  channelMessages: (id: number) => `/application/v1/channels/${id}/messages.relay`,
  channelUnread: (id: number) => `/application/v1/channels/${id}/unread.relay`,
  channelMembers: (id: number) => `/application/v1/channels/${id}/members.relay`,
  channelTopic: (id: number) => `/topic/v1/channels/${id}`,
  channelMessagesTopic: (id: number) => `/topic/v1/channels/${id}/messages`,
  channelMessage: (id: number) => `/application/v1/channels/${id}.message`,
  channelRead: (id: number) => `/application/v1/channels/${id}.read`,
  channelJoin: (id: number) => `/application/v1/channels/${id}.join`,
  channelStream: (id: number) => `/stompx/v1/channels/${id}/messages`,
  messageRead: (id: number) => `/application/v1/messages/${id}.read`,
};

/** Destinations only the current dialect uses (stompx-current.md §15.3–§15.12, §16). */
export const currentDest = {
  me: "/application/v1/user.relay",
  meReadGrant: "/application/v1/user.read_file_access_grant.relay",
  meWriteGrant: "/application/v1/user.write_file_access_grant.relay",
  meChannelsCount: "/application/v1/users/me/channels.count.relay",
  meMessages: "/application/v1/users/me/messages.relay",
  meUnreadMessagesCount: "/application/v1/users/me/unread-messages.count.relay",
  meContacts: "/application/v1/users/me/contacts.relay",
  meContactsCount: "/application/v1/users/me/contacts.count.relay",
  meBlockList: "/application/v1/users/me/block-list-items.relay",
  meUpdateDisplayPicture: "/application/v1/users/me.update-display-picture",
  meDisplayPictureStream: "/stompx/v1/users/me/display-picture",
  userTopic: (userId: number, name: UserTopic) => sub(`/topic/v1/users/${userId}`, name),
  userChannelMember: (id: number) => `/application/v1/users/${id}/channel-member.relay`,
  userBlock: (id: number) => `/application/v1/users/${id}.block`,
  blockListItemDelete: (userId: number) => `/application/v1/users/me/block-list-items/${userId}.delete`,
  channelTopic: (id: number, name: ChannelTopic) => sub(`/topic/v1/channels/${id}`, name),
  channelRelay: (id: number, name: string) => `/application/v1/channels/${id}/${name}.relay`,
  channelAction: (id: number, verb: string) => `/application/v1/channels/${id}.${verb}`,
  message: (id: number) => `/application/v1/messages/${id}.relay`,
  messageRelay: (id: number, name: string) => `/application/v1/messages/${id}/${name}.relay`,
  messageAction: (id: number, verb: string) => `/application/v1/messages/${id}.${verb}`,
  messageRepliesStream: (id: number) => `/stompx/v1/messages/${id}/replies`,
  threadTopic: (id: number, name: ThreadTopic) => sub(`/topic/v1/threads/${id}`, name),
  thread: (id: number) => `/application/v1/threads/${id}.relay`,
  threadRelay: (id: number, name: string) => `/application/v1/threads/${id}/${name}.relay`,
  threadAction: (id: number, verb: string) => `/application/v1/threads/${id}.${verb}`,
  threadStream: (id: number) => `/stompx/v1/threads/${id}/messages`,
};

/** Query of a relay: numbered (`page`, `size`), cursor (`start`, `size`), or the current dialect's filters. */
export type RelayQuery = Record<string, string>;

type ValueOf<T> = T[keyof T];

/** Relays of the connection's own user. */
const ME_RELAYS = {
  "users/me": "me",
  user: "me",
  "users/me/read-file-access-grant": "meReadGrant",
  "user.read_file_access_grant": "meReadGrant",
  "users/me/write-file-access-grant": "meWriteGrant",
  "user.write_file_access_grant": "meWriteGrant",
  "users/me/channels": "meChannels",
  "users/me/joinable-channels": "meJoinableChannels",
  "users/me/unread-channels.count": "meUnreadCount",
  "users/me/unread-channels": "meUnreadChannels",
  "users/me/channels.count": "meChannelsCount",
  "users/me/messages": "meMessages",
  "users/me/unread-messages.count": "meUnreadMessagesCount",
  "users/me/contacts": "meContacts",
  "users/me/contacts.count": "meContactsCount",
  "users/me/block-list-items": "meBlockList",
} as const;
type MeRelay = ValueOf<typeof ME_RELAYS>;

/** Relays of one resource: `<kind>/{id}.relay` is "" and `<kind>/{id}/<name>.relay` is name. */
const CHANNEL_RELAYS = {
  "": "channel",
  messages: "channelMessages",
  unread: "channelUnread",
  members: "channelMembers",
  "messages.count": "channelMessagesCount",
  "last-read-message": "channelLastReadMessage",
  "last-received-message": "channelLastReceivedMessage",
  threads: "channelThreads",
} as const;
const MESSAGE_RELAYS = {
  "": "message",
  channel: "messageChannel",
  "read-receipts": "messageReadReceipts",
  "replies.count": "messageRepliesCount",
  replies: "messageReplies",
  reactions: "messageReactions",
} as const;
const USER_RELAYS = { "": "user", "channel-member": "userChannelMember" } as const;
const THREAD_RELAYS = { "": "thread", channel: "threadChannel", message: "threadMessage", messages: "threadMessages" } as const;

type IdRelay =
  | ValueOf<typeof CHANNEL_RELAYS>
  | ValueOf<typeof MESSAGE_RELAYS>
  | ValueOf<typeof USER_RELAYS>
  | ValueOf<typeof THREAD_RELAYS>;

const ME_ACTIONS = { update: "meUpdate", "create-channel": "meCreateChannel", "update-display-picture": "meUpdateDisplayPicture" } as const;
const CHANNEL_ACTIONS = {
  message: "channelMessage",
  read: "channelRead",
  join: "channelJoin",
  leave: "channelLeave",
  keystrokes: "channelKeystrokes",
  mute: "channelMute",
  "trigger-event": "channelTriggerEvent",
  update: "channelUpdate",
  delete: "channelDelete",
  "clear-history": "channelClearHistory",
  hide: "channelHide",
  "create-thread": "channelCreateThread",
  invite: "channelInvite",
  "add-moderator": "channelAddModerator",
} as const;
const MESSAGE_ACTIONS = {
  read: "messageRead",
  reply: "messageReply",
  "delete-for-me": "messageDeleteForMe",
  react: "messageReact",
  "remove-reaction": "messageRemoveReaction",
  edit: "messageEdit",
  delete: "messageDelete",
} as const;
const USER_ACTIONS = { block: "userBlock" } as const;
const THREAD_ACTIONS = { message: "threadMessage", keystrokes: "threadKeystrokes", read: "threadRead" } as const;

type MeAction = ValueOf<typeof ME_ACTIONS>;
type IdAction =
  | ValueOf<typeof CHANNEL_ACTIONS>
  | ValueOf<typeof MESSAGE_ACTIONS>
  | ValueOf<typeof USER_ACTIONS>
  | ValueOf<typeof THREAD_ACTIONS>
  | "blockListItemDelete";

type TopicScope = "user" | "channel" | "thread";

export type Route =
  | { kind: "queue" }
  | { kind: "relay"; name: MeRelay; query: RelayQuery }
  | { kind: "relay"; name: IdRelay; id: number; query: RelayQuery }
  | { kind: "topic"; scope: TopicScope; id: number; sub: string }
  | { kind: "action"; name: MeAction }
  | { kind: "action"; name: IdAction; id: number };

export type RelayRoute = Extract<Route, { kind: "relay" }>;
export type ActionRoute = Extract<Route, { kind: "action" }>;
export type TopicRoute = Extract<Route, { kind: "topic" }>;

const ID = "([1-9]\\d{0,15})";
const KINDS: Record<string, [Record<string, IdRelay>, Record<string, IdAction>]> = {
  channels: [CHANNEL_RELAYS, CHANNEL_ACTIONS],
  messages: [MESSAGE_RELAYS, MESSAGE_ACTIONS],
  users: [USER_RELAYS, USER_ACTIONS],
  threads: [THREAD_RELAYS, THREAD_ACTIONS],
};
const TOPIC_NAMES: Record<string, [TopicScope, readonly string[]]> = {
  users: ["user", USER_TOPICS],
  channels: ["channel", CHANNEL_TOPICS],
  threads: ["thread", THREAD_TOPICS],
};

const ME_RELAY_RE = /^\/application\/v1\/(.+)\.relay$/;
const ID_RELAY_RE = new RegExp(`^/application/v1/(channels|messages|users|threads)/${ID}(?:/([a-z.-]+))?\\.relay$`);
const ME_ACTION_RE = /^\/application\/v1\/users\/me\.([a-z-]+)$/;
const ID_ACTION_RE = new RegExp(`^/application/v1/(channels|messages|users|threads)/${ID}\\.([a-z-]+)$`);
const BLOCK_ITEM_RE = new RegExp(`^/application/v1/users/me/block-list-items/${ID}\\.delete$`);
const TOPIC_RE = new RegExp(`^/topic/v1/(users|channels|threads)/${ID}(?:/([a-z-]+))?$`);

const own = <T>(table: Record<string, T>, key: string | undefined): T | undefined =>
  key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;

const parsePath = (path: string, query: RelayQuery): Route | undefined => {
  if (path === ERRORS_QUEUE) return { kind: "queue" };
  let m = TOPIC_RE.exec(path);
  if (m) {
    const [scope, names] = TOPIC_NAMES[m[1]!]!;
    const name = m[3] ?? "";
    return names.includes(name) ? { kind: "topic", scope, id: Number(m[2]), sub: name } : undefined;
  }
  m = ID_RELAY_RE.exec(path);
  if (m) {
    const name = own(KINDS[m[1]!]![0], m[3] ?? "");
    return name && { kind: "relay", name, id: Number(m[2]), query };
  }
  m = ME_RELAY_RE.exec(path);
  if (m) {
    const name = own<MeRelay>(ME_RELAYS, m[1]);
    return name && { kind: "relay", name, query };
  }
  m = BLOCK_ITEM_RE.exec(path);
  if (m) return { kind: "action", name: "blockListItemDelete", id: Number(m[1]) };
  m = ME_ACTION_RE.exec(path);
  if (m) {
    const name = own<MeAction>(ME_ACTIONS, m[1]);
    return name && { kind: "action", name };
  }
  m = ID_ACTION_RE.exec(path);
  if (m) {
    const name = own(KINDS[m[1]!]![1], m[3]);
    return name && { kind: "action", name, id: Number(m[2]) };
  }
  return undefined;
};

/** A destination as a typed route, or undefined when it names nothing we serve. */
export const parseDestination = (destination: string): Route | undefined => {
  if (destination.length > 512) return undefined;
  const q = destination.indexOf("?");
  const path = q < 0 ? destination : destination.slice(0, q);
  const query: RelayQuery = {};
  if (q >= 0) for (const [k, v] of new URLSearchParams(destination.slice(q + 1))) query[k] ??= v;
  const route = parsePath(path, query);
  if (!route) return undefined;
  if (route.kind !== "relay" && q >= 0) return undefined;
  if ("id" in route && !Number.isSafeInteger(route.id)) return undefined;
  return route;
};

/** A relay link with its page query, e.g. `…/channels.relay?page=1&size=25`. */
export const withRelayQuery = (relay: string, query: Record<string, string | number>) =>
  `${relay}?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString()}`;
