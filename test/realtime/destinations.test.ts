/**
 * The destination router (src/realtime/destinations.ts): every destination the ChatKitty SDK
 * uses (shared/spec/stompx-protocol.md §7) parsed to its route, relay query strings, and
 * everything else (unknown paths, unsafe ids, queries on non-relays, overlong destinations)
 * refused.
 */
import { describe, it } from "vitest";
import { currentDest, dest, ERRORS_QUEUE, parseDestination, withRelayQuery, type Route } from "../../src/realtime/destinations";

describe("parseDestination", () => {
  const routes: [string, Route][] = [
    [ERRORS_QUEUE, { kind: "queue" }],
    [dest.me, { kind: "relay", name: "me", query: {} }],
    [dest.meReadGrant, { kind: "relay", name: "meReadGrant", query: {} }],
    [dest.meWriteGrant, { kind: "relay", name: "meWriteGrant", query: {} }],
    [dest.meChannels, { kind: "relay", name: "meChannels", query: {} }],
    [dest.meJoinableChannels, { kind: "relay", name: "meJoinableChannels", query: {} }],
    [dest.meUnreadCount, { kind: "relay", name: "meUnreadCount", query: {} }],
    [dest.meUnreadChannels, { kind: "relay", name: "meUnreadChannels", query: {} }],
    [dest.user(42), { kind: "relay", name: "user", id: 42, query: {} }],
    [dest.channel(7), { kind: "relay", name: "channel", id: 7, query: {} }],
    [dest.channelMessages(7), { kind: "relay", name: "channelMessages", id: 7, query: {} }],
    [dest.channelUnread(7), { kind: "relay", name: "channelUnread", id: 7, query: {} }],
    [dest.channelMembers(7), { kind: "relay", name: "channelMembers", id: 7, query: {} }],
    [dest.userChannelsTopic(42), { kind: "topic", scope: "user", id: 42, sub: "channels" }],
    [dest.userNotificationsTopic(42), { kind: "topic", scope: "user", id: 42, sub: "notifications" }],
    [dest.channelTopic(7), { kind: "topic", scope: "channel", id: 7, sub: "" }],
    [dest.channelMessagesTopic(7), { kind: "topic", scope: "channel", id: 7, sub: "messages" }],
    [dest.meUpdate, { kind: "action", name: "meUpdate" }],
    [dest.meCreateChannel, { kind: "action", name: "meCreateChannel" }],
    [dest.channelMessage(7), { kind: "action", name: "channelMessage", id: 7 }],
    [dest.channelRead(7), { kind: "action", name: "channelRead", id: 7 }],
    [dest.channelJoin(7), { kind: "action", name: "channelJoin", id: 7 }],
    [dest.messageRead(9), { kind: "action", name: "messageRead", id: 9 }],
  ];

  it.for(routes)("%s", ([destination, route], { expect }) => {
    expect(parseDestination(destination)).toEqual(route);
  });

  it("covers every destination builder (none is left unparsed)", ({ expect }) => {
    const built = Object.values(dest).map((d) => (typeof d === "function" ? d(7) : d));
    for (const d of built) {
      if (d === dest.channelStream(7)) continue; // an HTTP stream, never a STOMP destination
      expect(parseDestination(d), d).toBeDefined();
    }
    const key = (r: Route) => ("name" in r ? `${r.kind}:${r.name}` : "scope" in r ? `${r.kind}:${r.scope}:${r.sub}` : r.kind);
    expect(new Set(routes.map(([, r]) => key(r))).size).toBe(routes.length);
  });

  it("parses every destination the current dialect's links and fixed strings use (stompx-current.md §15–16)", ({ expect }) => {
    const cd = currentDest;
    const cases: [string, Route][] = [
      [cd.me, { kind: "relay", name: "me", query: {} }],
      [cd.meReadGrant, { kind: "relay", name: "meReadGrant", query: {} }],
      [cd.meWriteGrant, { kind: "relay", name: "meWriteGrant", query: {} }],
      [cd.meChannelsCount, { kind: "relay", name: "meChannelsCount", query: {} }],
      [cd.meUnreadMessagesCount, { kind: "relay", name: "meUnreadMessagesCount", query: {} }],
      [cd.meContacts, { kind: "relay", name: "meContacts", query: {} }],
      [cd.meContactsCount, { kind: "relay", name: "meContactsCount", query: {} }],
      [cd.meBlockList, { kind: "relay", name: "meBlockList", query: {} }],
      [cd.meUpdateDisplayPicture, { kind: "action", name: "meUpdateDisplayPicture" }],
      [cd.userTopic(4, ""), { kind: "topic", scope: "user", id: 4, sub: "" }],
      [cd.userTopic(4, "read-receipts"), { kind: "topic", scope: "user", id: 4, sub: "read-receipts" }],
      [cd.userChannelMember(4), { kind: "relay", name: "userChannelMember", id: 4, query: {} }],
      [cd.userBlock(4), { kind: "action", name: "userBlock", id: 4 }],
      [cd.blockListItemDelete(4), { kind: "action", name: "blockListItemDelete", id: 4 }],
      [cd.channelTopic(7, "typing"), { kind: "topic", scope: "channel", id: 7, sub: "typing" }],
      [cd.channelRelay(7, "messages.count"), { kind: "relay", name: "channelMessagesCount", id: 7, query: {} }],
      [cd.channelRelay(7, "last-read-message"), { kind: "relay", name: "channelLastReadMessage", id: 7, query: {} }],
      [cd.channelAction(7, "trigger-event"), { kind: "action", name: "channelTriggerEvent", id: 7 }],
      [cd.channelAction(7, "add-moderator"), { kind: "action", name: "channelAddModerator", id: 7 }],
      [cd.message(9), { kind: "relay", name: "message", id: 9, query: {} }],
      [cd.messageRelay(9, "replies.count"), { kind: "relay", name: "messageRepliesCount", id: 9, query: {} }],
      [cd.messageAction(9, "delete-for-me"), { kind: "action", name: "messageDeleteForMe", id: 9 }],
      [cd.messageAction(9, "remove-reaction"), { kind: "action", name: "messageRemoveReaction", id: 9 }],
      [cd.threadTopic(3, "messages"), { kind: "topic", scope: "thread", id: 3, sub: "messages" }],
      [cd.threadRelay(3, "channel"), { kind: "relay", name: "threadChannel", id: 3, query: {} }],
      [cd.threadAction(3, "keystrokes"), { kind: "action", name: "threadKeystrokes", id: 3 }],
    ];
    for (const [destination, route] of cases) expect(parseDestination(destination), destination).toEqual(route);
    // The old dialect's strings are a subset: the 2020 me relay and the current one reach the same handler.
    expect(parseDestination(dest.me)).toEqual(parseDestination(cd.me));
  });

  it("the SDK's hard-coded relays parse (me, channel by id, user by id)", ({ expect }) => {
    // chatkitty.js: currentUserRelay, channelRelay(id), userRelay(id)
    expect(parseDestination("/application/v1/users/me.relay")).toMatchObject({ kind: "relay", name: "me" });
    expect(parseDestination(`/application/v1/channels/${103}.relay`)).toMatchObject({ kind: "relay", name: "channel", id: 103 });
    expect(parseDestination(`/application/v1/users/${5}.relay`)).toMatchObject({ kind: "relay", name: "user", id: 5 });
  });

  it("does not mistake an HTTP stream path for a destination", ({ expect }) => {
    expect(parseDestination(dest.channelStream(7))).toBeUndefined();
  });

  describe("relay query strings", () => {
    it("reads a numbered page query", ({ expect }) => {
      expect(parseDestination("/application/v1/users/me/channels.relay?page=2&size=25")).toEqual({
        kind: "relay",
        name: "meChannels",
        query: { page: "2", size: "25" },
      });
    });

    it("reads a message cursor query", ({ expect }) => {
      expect(parseDestination("/application/v1/channels/3/messages.relay?start=88&size=25")).toEqual({
        kind: "relay",
        name: "channelMessages",
        id: 3,
        query: { start: "88", size: "25" },
      });
    });

    it("round-trips links built with withRelayQuery", ({ expect }) => {
      const link = withRelayQuery(dest.channelMembers(12), { page: 1, size: 10 });
      expect(link).toBe("/application/v1/channels/12/members.relay?page=1&size=10");
      expect(parseDestination(link)).toEqual({ kind: "relay", name: "channelMembers", id: 12, query: { page: "1", size: "10" } });
    });

    it("keeps the first of a repeated parameter and decodes percent-escapes", ({ expect }) => {
      expect(parseDestination(`${dest.meUnreadChannels}?page=1&page=9&x=a%20b`)).toEqual({
        kind: "relay",
        name: "meUnreadChannels",
        query: { page: "1", x: "a b" },
      });
    });

    it("an empty query is an empty object", ({ expect }) => {
      expect(parseDestination(`${dest.me}?`)).toEqual({ kind: "relay", name: "me", query: {} });
    });
  });

  describe("rejects", () => {
    it.for([
      "",
      "undefined",
      "/",
      "/application/v1/users/me",
      "/application/v1/users/me.relay/",
      "/application/v1/users/me.relayx",
      "x/application/v1/users/me.relay",
      "/Application/v1/users/me.relay",
      "/application/v2/users/me.relay",
      "//application/v1/users/me.relay",
      "/application/v1/users/you.relay",
      "/application/v1/channels/abc.relay",
      "/application/v1/channels/0.relay",
      "/application/v1/channels/007.relay",
      "/application/v1/channels/-1.relay",
      "/application/v1/channels/1.5.relay",
      "/application/v1/channels/1e3.relay",
      "/application/v1/channels/ 1.relay",
      "/application/v1/channels/1/typing.relay",
      "/application/v1/channels/1.explode",
      "/application/v1/channels/1.__proto__",
      "/application/v1/messages/1/nothing.relay",
      "/application/v1/users/me/constructor.relay",
      "/topic/v1/channels/1/nothing",
      "/topic/v1/threads/1/events",
      "/topic/v1/channels/1/",
      "/topic/v1/users/me/channels",
      "/topic/v1/users/1/notifications/x",
      "/user/queue/v1/errors/x",
      "/user/queue/v2/errors",
      "/stompx/v1/channels/1/messages",
      "/application/v1/users/me.relay#x",
    ])("unknown path %j", (destination, { expect }) => {
      expect(parseDestination(destination)).toBeUndefined();
    });

    it("ids at or above 2^53 (not exact in JavaScript)", ({ expect }) => {
      const max = Number.MAX_SAFE_INTEGER; // 2^53 - 1
      expect(parseDestination(`/application/v1/channels/${max}.relay`)).toEqual({ kind: "relay", name: "channel", id: max, query: {} });
      for (const id of ["9007199254740992", "9007199254740993", "9999999999999999", "10000000000000000", "123456789012345678901"]) {
        expect(parseDestination(`/application/v1/channels/${id}.relay`), id).toBeUndefined();
        expect(parseDestination(`/topic/v1/channels/${id}/messages`), id).toBeUndefined();
        expect(parseDestination(`/application/v1/channels/${id}.message`), id).toBeUndefined();
        expect(parseDestination(`/application/v1/messages/${id}.read`), id).toBeUndefined();
        expect(parseDestination(`/application/v1/users/${id}.relay`), id).toBeUndefined();
        expect(parseDestination(`/topic/v1/users/${id}/channels`), id).toBeUndefined();
      }
    });

    it.for([
      `${dest.channelTopic(1)}?x=1`,
      `${dest.channelMessagesTopic(1)}?start=1`,
      `${dest.userChannelsTopic(1)}?`,
      `${dest.userNotificationsTopic(1)}?a=b`,
      `${dest.channelMessage(1)}?size=1`,
      `${dest.channelJoin(1)}?`,
      `${dest.meUpdate}?x=1`,
      `${dest.meCreateChannel}?x=1`,
      `${dest.messageRead(1)}?x=1`,
      `${ERRORS_QUEUE}?x=1`,
    ])("a query on a non-relay: %s", (destination, { expect }) => {
      expect(parseDestination(destination)).toBeUndefined();
    });

    it("destinations longer than 512 characters, even valid relays", ({ expect }) => {
      const long = `${dest.meChannels}?page=1&pad=${"x".repeat(600)}`;
      expect(parseDestination(long)).toBeUndefined();
      const justFits = `${dest.meChannels}?pad=${"x".repeat(512 - dest.meChannels.length - 5)}`;
      expect(justFits.length).toBe(512);
      expect(parseDestination(justFits)).toMatchObject({ kind: "relay", name: "meChannels" });
    });
  });
});
