/**
 * The only module that knows StompX destination strings (shared/spec/stompx-protocol.md §7).
 * Links handed to the SDK are built here, and every destination a client sends is parsed here
 * into a typed route, so handlers never look at strings. Destinations never contain `:`, so no
 * header escaping is ever needed for them.
 */

export const ERRORS_QUEUE = "/user/queue/v1/errors";

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

/** Query of a paged relay link: numbered (`page`, `size`) or cursor (`start`, `size`). */
export type RelayQuery = Record<string, string>;

export type Route =
  | { kind: "queue" }
  | { kind: "relay"; name: "me" | "meReadGrant" | "meWriteGrant" | "meUnreadCount"; query: RelayQuery }
  | { kind: "relay"; name: "meChannels" | "meJoinableChannels" | "meUnreadChannels"; query: RelayQuery }
  | { kind: "relay"; name: "user"; id: number; query: RelayQuery }
  | { kind: "relay"; name: "channel" | "channelMessages" | "channelUnread" | "channelMembers"; id: number; query: RelayQuery }
  | { kind: "topic"; name: "userChannels" | "userNotifications"; id: number }
  | { kind: "topic"; name: "channel" | "channelMessages"; id: number }
  | { kind: "action"; name: "meUpdate" | "meCreateChannel" }
  | { kind: "action"; name: "channelMessage" | "channelRead" | "channelJoin"; id: number }
  | { kind: "action"; name: "messageRead"; id: number };

const ID = "([1-9]\\d{0,15})";
const PATTERNS: [RegExp, (m: RegExpExecArray, query: RelayQuery) => Route][] = [
  [/^\/user\/queue\/v1\/errors$/, () => ({ kind: "queue" })],
  [/^\/application\/v1\/users\/me\.relay$/, (_m, query) => ({ kind: "relay", name: "me", query })],
  [/^\/application\/v1\/users\/me\/read-file-access-grant\.relay$/, (_m, query) => ({ kind: "relay", name: "meReadGrant", query })],
  [/^\/application\/v1\/users\/me\/write-file-access-grant\.relay$/, (_m, query) => ({ kind: "relay", name: "meWriteGrant", query })],
  [/^\/application\/v1\/users\/me\/channels\.relay$/, (_m, query) => ({ kind: "relay", name: "meChannels", query })],
  [/^\/application\/v1\/users\/me\/joinable-channels\.relay$/, (_m, query) => ({ kind: "relay", name: "meJoinableChannels", query })],
  [/^\/application\/v1\/users\/me\/unread-channels\.count\.relay$/, (_m, query) => ({ kind: "relay", name: "meUnreadCount", query })],
  [/^\/application\/v1\/users\/me\/unread-channels\.relay$/, (_m, query) => ({ kind: "relay", name: "meUnreadChannels", query })],
  [new RegExp(`^/application/v1/users/${ID}\\.relay$`), (m, query) => ({ kind: "relay", name: "user", id: Number(m[1]), query })],
  [new RegExp(`^/application/v1/channels/${ID}\\.relay$`), (m, query) => ({ kind: "relay", name: "channel", id: Number(m[1]), query })],
  [
    new RegExp(`^/application/v1/channels/${ID}/messages\\.relay$`),
    (m, query) => ({ kind: "relay", name: "channelMessages", id: Number(m[1]), query }),
  ],
  [
    new RegExp(`^/application/v1/channels/${ID}/unread\\.relay$`),
    (m, query) => ({ kind: "relay", name: "channelUnread", id: Number(m[1]), query }),
  ],
  [
    new RegExp(`^/application/v1/channels/${ID}/members\\.relay$`),
    (m, query) => ({ kind: "relay", name: "channelMembers", id: Number(m[1]), query }),
  ],
  [new RegExp(`^/topic/v1/users/${ID}/channels$`), (m) => ({ kind: "topic", name: "userChannels", id: Number(m[1]) })],
  [new RegExp(`^/topic/v1/users/${ID}/notifications$`), (m) => ({ kind: "topic", name: "userNotifications", id: Number(m[1]) })],
  [new RegExp(`^/topic/v1/channels/${ID}$`), (m) => ({ kind: "topic", name: "channel", id: Number(m[1]) })],
  [new RegExp(`^/topic/v1/channels/${ID}/messages$`), (m) => ({ kind: "topic", name: "channelMessages", id: Number(m[1]) })],
  [/^\/application\/v1\/users\/me\.update$/, () => ({ kind: "action", name: "meUpdate" })],
  [/^\/application\/v1\/users\/me\.create-channel$/, () => ({ kind: "action", name: "meCreateChannel" })],
  [new RegExp(`^/application/v1/channels/${ID}\\.message$`), (m) => ({ kind: "action", name: "channelMessage", id: Number(m[1]) })],
  [new RegExp(`^/application/v1/channels/${ID}\\.read$`), (m) => ({ kind: "action", name: "channelRead", id: Number(m[1]) })],
  [new RegExp(`^/application/v1/channels/${ID}\\.join$`), (m) => ({ kind: "action", name: "channelJoin", id: Number(m[1]) })],
  [new RegExp(`^/application/v1/messages/${ID}\\.read$`), (m) => ({ kind: "action", name: "messageRead", id: Number(m[1]) })],
];

/** A destination as a typed route, or undefined when it names nothing we serve. */
export const parseDestination = (destination: string): Route | undefined => {
  if (destination.length > 512) return undefined;
  const q = destination.indexOf("?");
  const path = q < 0 ? destination : destination.slice(0, q);
  const query: RelayQuery = {};
  if (q >= 0) for (const [k, v] of new URLSearchParams(destination.slice(q + 1))) query[k] ??= v;
  for (const [re, build] of PATTERNS) {
    const m = re.exec(path);
    if (m) {
      const route = build(m, query);
      if (route.kind !== "relay" && q >= 0) return undefined;
      if ("id" in route && !Number.isSafeInteger(route.id)) return undefined;
      return route;
    }
  }
  return undefined;
};

/** A relay link with its page query, e.g. `…/channels.relay?page=1&size=25`. */
export const withRelayQuery = (relay: string, query: Record<string, string | number>) =>
  `${relay}?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString()}`;
