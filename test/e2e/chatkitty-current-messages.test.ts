/**
 * Channels and messages as the unmodified `chatkitty@1.58.2` meets them, in Node against
 * `npm run dev` (spec stompx-current §5, §6, §8, §12.4–12.5): creating each channel type,
 * listing with filters, joining and leaving, updates and deletion, live messages, edits,
 * deletions, replies, read receipts and unread counts, hiding and clearing history.
 *
 * Results are checked as the SDK returns them. Sessions and sockets: `useCurrentSdk()`.
 */
import { describe, it } from "vitest";
import { createChannel, failure, listAll, ok, openChat, received, send, sharedChannel, startUsers, useCurrentSdk } from "./sdk-current";
import { sleep, unique, until } from "./wait";

useCurrentSdk();

const ids = (items: any[]) => items.map((x) => x.id);

describe("channels", () => {
  it("createChannel PUBLIC, PRIVATE with members (who get onChannelJoined), DIRECT twice → the same channel", async ({ expect }) => {
    const [a, b, c] = await startUsers("alice", "bob", "carol");
    const joinedB: any[] = [];
    b.kitty.onChannelJoined((ch: any) => joinedB.push(ch));

    const name = unique("public ☃");
    const pub = await createChannel(a, { type: "PUBLIC", name, properties: { topic: "hi" } });
    expect(pub).toMatchObject({ type: "PUBLIC", name, properties: { topic: "hi" } });
    expect(pub._actions.join, "the creator is a member").toBeUndefined();
    expect(typeof pub._actions.leave).toBe("string");

    const priv = await createChannel(a, { type: "PRIVATE", name: unique("private"), members: [{ username: b.name }] });
    expect(priv.type).toBe("PRIVATE");
    await until("bob's onChannelJoined for the private channel", () => joinedB.some((ch) => ch.id === priv.id));
    expect((await ok("getChannel(private) by bob", b.kitty.getChannel(priv.id))).channel.id).toBe(priv.id);
    const hidden = await failure("getChannel(private) by carol", c.kitty.getChannel(priv.id));
    expect(hidden.error).toBe("ChannelNotFoundError");

    const direct = await createChannel(a, { type: "DIRECT", members: [{ username: b.name }] });
    expect(direct.type).toBe("DIRECT");
    const again = await createChannel(a, { type: "DIRECT", members: [{ username: b.name }] });
    expect(again.id, "the existing DIRECT channel").toBe(direct.id);
    const fromB = await createChannel(b, { type: "DIRECT", members: [{ username: a.name }] });
    expect(fromB.id, "the same two members from the other side").toBe(direct.id);
  });

  it("getChannel of an unknown id → failed result ChannelNotFoundError", async ({ expect }) => {
    const [a] = await startUsers("alice");
    expect((await failure("getChannel(unknown)", a.kitty.getChannel(2 ** 52))).error).toBe("ChannelNotFoundError");
  });

  it("getChannels: all, joined, not joined, unread, and by name (case-insensitive)", async ({ expect }) => {
    const [a, b] = await startUsers("alice", "bob");
    const tag = unique("Tag");
    const mine = await createChannel(a, { type: "PUBLIC", name: `${tag}-mine` });
    const theirs = await createChannel(b, { type: "PUBLIC", name: `${tag}-theirs` });

    expect(ids(await listAll("getChannels()", a.kitty.getChannels()))).toContain(mine.id);
    const joined = ids(await listAll("joined", a.kitty.getChannels({ filter: { joined: true } })));
    expect(joined).toContain(mine.id);
    expect(joined).not.toContain(theirs.id);
    const joinable = ids(await listAll("not joined", a.kitty.getChannels({ filter: { joined: false } })));
    expect(joinable).toContain(theirs.id);
    expect(joinable).not.toContain(mine.id);
    const named = ids(await listAll("by name", a.kitty.getChannels({ filter: { name: tag.toLowerCase() } })));
    expect(named).toEqual([mine.id]);
    expect(await listAll("by a name nobody has", a.kitty.getChannels({ filter: { name: unique("none") } }))).toEqual([]);

    const { channel, as } = await sharedChannel(a, b);
    expect(ids(await listAll("unread before", a.kitty.getChannels({ filter: { unread: true } })))).not.toContain(channel.id);
    await send(b, as(b), "unread for alice");
    expect(ids(await listAll("unread after", a.kitty.getChannels({ filter: { unread: true } })))).toContain(channel.id);
    expect(ids(await listAll("unread for the sender", b.kitty.getChannels({ filter: { unread: true } })))).not.toContain(channel.id);
  });

  it("joinChannel / leaveChannel fire onChannelJoined / onChannelLeft and switch the join/leave links", async ({ expect }) => {
    const [a, b] = await startUsers("alice", "bob");
    const channel = await createChannel(a, { type: "PUBLIC", name: unique("club") });
    const seen = (await ok("getChannel by bob", b.kitty.getChannel(channel.id))).channel;
    expect(typeof seen._actions.join).toBe("string");
    const joinedB: any[] = [];
    const leftB: any[] = [];
    b.kitty.onChannelJoined((ch: any) => joinedB.push(ch));
    b.kitty.onChannelLeft((ch: any) => leftB.push(ch));

    const joined = (await ok("joinChannel", b.kitty.joinChannel({ channel: seen }))).channel;
    expect(joined.id).toBe(channel.id);
    expect(joined._actions.join).toBeUndefined();
    expect(typeof joined._actions.leave).toBe("string");
    await until("onChannelJoined", () => joinedB.some((ch) => ch.id === channel.id));

    const left = (await ok("leaveChannel", b.kitty.leaveChannel({ channel: joined }))).channel;
    expect(left.id).toBe(channel.id);
    await until("onChannelLeft", () => leftB.some((ch) => ch.id === channel.id));
    expect(ids(await listAll("bob's channels after leaving", b.kitty.getChannels()))).not.toContain(channel.id);
  });

  it("updateChannel by the creator reaches a member's chat session (onChannelUpdated); deleteChannel removes it", async ({ expect }) => {
    const [a, b] = await startUsers("alice", "bob");
    const { channel, as } = await sharedChannel(a, b);
    const chatB = await openChat(b, as(b));
    const updated = (await ok("updateChannel", a.kitty.updateChannel({ channel: { ...channel, properties: { topic: "news ✓" } } })))
      .channel;
    expect(updated).toMatchObject({ id: channel.id, properties: { topic: "news ✓" } });
    await until("bob's onChannelUpdated", () => chatB.channelUpdates.some((c) => c.properties?.topic === "news ✓"));

    await ok("deleteChannel", a.kitty.deleteChannel({ channel: updated }));
    expect((await failure("getChannel after delete", a.kitty.getChannel(channel.id))).error).toBe("ChannelNotFoundError");
  });
});

describe("messages", () => {
  it("sendMessage reaches the other's onReceivedMessage once; getMessages lists newest first", async ({ expect }) => {
    const [a, b] = await startUsers("alice", "bob");
    const { channel, as } = await sharedChannel(a, b);
    const chatB = await openChat(b, as(b));
    const chatA = await openChat(a, channel);
    const sent = await send(a, channel, "hello ☃ 👋");
    expect(sent).toMatchObject({ type: "TEXT", body: "hello ☃ 👋", user: { id: a.user.id } });
    const got = await received(chatB, "bob", "hello ☃ 👋");
    expect(got.message.id).toBe(sent.id);
    expect(got.parent).toBeUndefined();
    await received(chatA, "alice (her own)", "hello ☃ 👋");
    await send(b, as(b), "second");
    const history = await listAll("getMessages", b.kitty.getMessages({ channel: as(b) }));
    expect(history.map((m) => m.body)).toEqual(["second", "hello ☃ 👋"]);
    await sleep(200);
    expect(chatB.bodies().filter((x) => x === "hello ☃ 👋")).toHaveLength(1);
  });

  it("editMessage → onMessageUpdated; another user's edit → failed; deleteMessage and deleteMessageForMe hide it", async ({ expect }) => {
    const [a, b] = await startUsers("alice", "bob");
    const { channel, as } = await sharedChannel(a, b);
    const chatB = await openChat(b, as(b));
    const message = await send(a, channel, "typo");
    const edited = (await ok("editMessage", a.kitty.editMessage({ message, body: "fixed ✓" }))).message;
    expect(edited).toMatchObject({ id: message.id, body: "fixed ✓" });
    expect(typeof edited.lastEditedTime).toBe("string");
    await until("bob's onMessageUpdated", () => chatB.updated.some((m) => m.id === message.id && m.body === "fixed ✓"));
    const seenByB = (await received(chatB, "bob", "typo")).message;
    expect((await failure("editMessage by bob", b.kitty.editMessage({ message: seenByB, body: "mine" }))).error).toBe("AccessDeniedError");

    const gone = await send(a, channel, "for everyone");
    await ok("deleteMessage", a.kitty.deleteMessage({ message: gone }));
    const mine = await send(a, channel, "for bob only");
    const seenMine = (await received(chatB, "bob", "for bob only")).message;
    await ok("deleteMessageForMe by bob", b.kitty.deleteMessageForMe({ message: seenMine }));
    const bodiesB = (await listAll("bob's history", b.kitty.getMessages({ channel: as(b) }))).map((m) => m.body);
    expect(bodiesB).toEqual(["fixed ✓"]);
    const bodiesA = (await listAll("alice's history", a.kitty.getMessages({ channel }))).map((m) => m.body);
    expect(bodiesA).toEqual(["for bob only", "fixed ✓"]);
    expect(mine.id).toBeGreaterThan(gone.id);
  });

  it("replies: onReceivedMessage(reply, parent), getMessages({message}), getMessageRepliesCount, getMessageParent", async ({ expect }) => {
    const [a, b] = await startUsers("alice", "bob");
    const { channel, as } = await sharedChannel(a, b);
    const chatB = await openChat(b, as(b));
    const parent = await send(a, channel, "parent");
    const reply = (await ok("reply", a.kitty.sendMessage({ message: parent, body: "reply ☃" }))).message;
    expect(reply).toMatchObject({ body: "reply ☃", nestedLevel: 1 });
    const got = await received(chatB, "bob", "reply ☃");
    expect(got.parent, "the SDK relayed the parent").toMatchObject({ id: parent.id, body: "parent" });

    const replies = await listAll("getMessages({message})", a.kitty.getMessages({ message: parent }));
    expect(replies.map((m) => m.id)).toEqual([reply.id]);
    expect((await ok("getMessageRepliesCount", a.kitty.getMessageRepliesCount({ message: parent }))).count).toBe(1);
    expect((await ok("getMessageParent", a.kitty.getMessageParent({ message: reply }))).message.id).toBe(parent.id);
  });

  it("readChannel → onMessageRead; unread counts drop to 0; getReadReceipts and getLastReadMessage", async ({ expect }) => {
    const [a, b] = await startUsers("alice", "bob");
    const { channel, as } = await sharedChannel(a, b);
    const chatA = await openChat(a, channel);
    const first = await send(a, channel, "read me 1");
    const last = await send(a, channel, "read me 2");

    expect((await ok("unread channels", b.kitty.getUnreadChannelsCount())).count).toBeGreaterThanOrEqual(1);
    expect((await ok("unread messages (all)", b.kitty.getUnreadMessagesCount())).count).toBeGreaterThanOrEqual(2);
    expect((await ok("unread in channel", b.kitty.getUnreadMessagesCount({ channel: as(b) }))).count).toBe(2);
    expect((await ok("getChannelUnread", b.kitty.getChannelUnread({ channel: as(b) }))).unread).toBe(true);
    expect((await ok("sender's own count", a.kitty.getUnreadMessagesCount({ channel }))).count).toBe(0);

    await ok("readChannel", b.kitty.readChannel({ channel: as(b) }));
    await until("alice's onMessageRead", () => chatA.reads.some((r) => r.receipt.user?.id === b.user.id));
    expect(chatA.reads.at(-1)!.message.id).toBe(last.id);
    expect((await ok("unread in channel after read", b.kitty.getUnreadMessagesCount({ channel: as(b) }))).count).toBe(0);
    expect((await ok("getChannelUnread after read", b.kitty.getChannelUnread({ channel: as(b) }))).unread).toBe(false);

    const receipts = await listAll("getReadReceipts", a.kitty.getReadReceipts({ message: first }));
    expect(receipts.map((r) => r.user.id)).toEqual([b.user.id]);
    const lastRead = await ok("getLastReadMessage", a.kitty.getLastReadMessage({ channel, username: b.name }));
    expect(lastRead.message?.id).toBe(last.id);

    const third = await send(a, channel, "read me 3");
    await ok("readMessage", b.kitty.readMessage({ message: third }));
    expect((await ok("unread after readMessage", b.kitty.getUnreadMessagesCount({ channel: as(b) }))).count).toBe(0);
  });

  it("hideChannel removes it from getChannels until a new message; clearChannelHistory empties the user's history only", async ({
    expect,
  }) => {
    const [a, b] = await startUsers("alice", "bob");
    const direct = await createChannel(a, { type: "DIRECT", members: [{ username: b.name }] });
    await send(a, direct, "before");
    const hiddenB: any[] = [];
    const unhiddenB: any[] = [];
    b.kitty.onChannelHidden((c: any) => hiddenB.push(c));
    b.kitty.onChannelUnhidden((c: any) => unhiddenB.push(c));
    const view = (await ok("getChannel by bob", b.kitty.getChannel(direct.id))).channel;
    expect((await ok("hideChannel", b.kitty.hideChannel({ channel: view }))).channel.id).toBe(direct.id);
    await until("onChannelHidden", () => hiddenB.some((c) => c.id === direct.id));
    expect(ids(await listAll("bob's channels, hidden", b.kitty.getChannels()))).not.toContain(direct.id);
    await send(a, direct, "wake up");
    await until("onChannelUnhidden", () => unhiddenB.some((c) => c.id === direct.id));
    expect(ids(await listAll("bob's channels, unhidden", b.kitty.getChannels()))).toContain(direct.id);

    await ok("clearChannelHistory", b.kitty.clearChannelHistory({ channel: view }));
    expect(await listAll("bob's history after clearing", b.kitty.getMessages({ channel: view }))).toEqual([]);
    expect((await listAll("alice's history", a.kitty.getMessages({ channel: direct }))).map((m) => m.body)).toEqual(["wake up", "before"]);
    await send(a, direct, "after clearing");
    const afterB = await listAll("bob's history after a new message", b.kitty.getMessages({ channel: view }));
    expect(afterB.map((m) => m.body)).toEqual(["after clearing"]);
  });
});
